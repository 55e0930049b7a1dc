// `hutch restart [-t N] CONTAINER...`: stop (when running) and start again.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { containerInputs } from './all-containers.js';
import { forEachInput } from './each-container.js';

/** Options of `hutch restart`. */
export interface RestartOptions extends GlobalOptions {
  containers?: string[];
  time: number;
  all?: boolean;
  running?: boolean;
}

const restart: CommandModule<GlobalOptions, RestartOptions> = {
  command: 'restart [containers..]',
  describe: 'Restart one or more containers',
  builder: (yargs) =>
    yargs
      .positional('containers', { type: 'string', array: true })
      .option('time', { alias: 't', type: 'number', default: 10, describe: 'Seconds to wait before killing the container' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'Restart all containers' })
      .option('running', { type: 'boolean', describe: 'With --all, restart only running containers' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const lifecycle = await import('../runtime/lifecycle.js');
    const inputs = containerInputs(ctx, argv.containers, argv.all, (state) => !argv.running || state.pid !== null);
    await forEachInput(inputs, async (input) => {
      const { record } = lifecycle.resolveContainer(ctx.paths, input);
      await lifecycle.restartContainer(ctx.paths, record, argv.time);
      process.stdout.write(`${input}\n`);
    });
  },
};

export default restart;
