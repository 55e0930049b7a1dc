// `hutch wait CONTAINER...`: block until each container exits and print its exit code.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { forEachInput } from './each-container.js';

/** Options of `hutch wait`. */
export interface WaitOptions extends GlobalOptions {
  containers: string[];
  ignore?: boolean;
}

const wait: CommandModule<GlobalOptions, WaitOptions> = {
  command: 'wait <containers..>',
  describe: 'Wait for containers to exit and print their exit codes',
  builder: (yargs) =>
    yargs
      .positional('containers', { type: 'string', array: true, demandOption: true })
      .option('ignore', { alias: 'i', type: 'boolean', describe: 'Ignore containers that do not exist (prints -1)' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const lifecycle = await import('../runtime/lifecycle.js');
    await forEachInput(argv.containers, async (input) => {
      const found = lifecycle.findOrIgnore(ctx.paths, input, Boolean(argv.ignore));
      const code = found ? await lifecycle.waitForExit(ctx.paths, found.record.id) : -1;
      process.stdout.write(`${code}\n`);
    });
  },
};

export default wait;
