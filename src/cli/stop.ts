// `hutch stop [-t N] [-a] CONTAINER...`: the container's stop signal (the
// image's StopSignal, default SIGTERM), then SIGKILL after N seconds (default 10).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { forEachInput } from './each-container.js';
import { containerInputs } from './all-containers.js';

/** Options of `hutch stop`. */
export interface StopOptions extends GlobalOptions {
  containers?: string[];
  time: number;
  all?: boolean;
  ignore?: boolean;
}

const stop: CommandModule<GlobalOptions, StopOptions> = {
  command: 'stop [containers..]',
  describe: 'Stop one or more running containers',
  builder: (yargs) =>
    yargs
      .positional('containers', { type: 'string', array: true })
      .option('time', { alias: 't', type: 'number', default: 10, describe: 'Seconds to wait before killing the container' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Stop all running containers' })
      .option('ignore', { alias: 'i', type: 'boolean', describe: 'Ignore containers that do not exist' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const lifecycle = await import('../runtime/lifecycle.js');
    const inputs = containerInputs(ctx, argv.containers, argv.all, (state) => state.pid !== null);
    await forEachInput(inputs, async (input) => {
      const found = lifecycle.findOrIgnore(ctx.paths, input, Boolean(argv.ignore));
      if (!found) return;
      await lifecycle.stopContainer(ctx.paths, found.record, argv.time);
      process.stdout.write(`${input}\n`);
    });
  },
};

export default stop;
