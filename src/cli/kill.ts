// `hutch kill [-s SIGNAL] [-a] CONTAINER...`: signal the container's init (default SIGKILL, as podman).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { containerInputs } from './all-containers.js';
import { forEachInput } from './each-container.js';

/** Options of `hutch kill`. */
export interface KillOptions extends GlobalOptions {
  containers?: string[];
  signal: string;
  all?: boolean;
}

const kill: CommandModule<GlobalOptions, KillOptions> = {
  command: 'kill [containers..]',
  describe: 'Send a signal to one or more running containers',
  builder: (yargs) =>
    yargs
      .positional('containers', { type: 'string', array: true })
      .option('signal', { alias: 's', type: 'string', default: 'KILL', describe: 'Signal name (with or without SIG) or number' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Signal all running containers' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const lifecycle = await import('../runtime/lifecycle.js');
    const signal = lifecycle.normaliseSignal(String(argv.signal));
    const inputs = containerInputs(ctx, argv.containers, argv.all, (state) => state.pid !== null);
    await forEachInput(inputs, async (input) => {
      const { record } = lifecycle.resolveContainer(ctx.paths, input);
      await lifecycle.killContainer(ctx.paths, record, signal);
      process.stdout.write(`${input}\n`);
    });
  },
};

export default kill;
