// `hutch start [-a] [-i] CONTAINER...`: start created or stopped containers
// under the native monitor; with -a, follow the output and exit with the container's status.
import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';
import { forEachInput } from './each-container.js';

/** Options of `hutch start`. */
export interface StartOptions extends GlobalOptions {
  containers: string[];
  attach?: boolean;
  interactive?: boolean;
}

const start: CommandModule<GlobalOptions, StartOptions> = {
  command: 'start <containers..>',
  describe: 'Start one or more containers',
  builder: (yargs) =>
    yargs
      .positional('containers', { type: 'string', array: true, demandOption: true })
      .option('attach', { alias: 'a', type: 'boolean', describe: 'Follow the container\'s output and exit with its status' })
      .option('interactive', { alias: 'i', type: 'boolean', describe: 'With -a, feed stdin to the container (created with -i)' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const lifecycle = await import('../runtime/lifecycle.js');
    const { logPath } = lifecycle;
    if (argv.attach) {
      if (argv.containers.length !== 1) throw new UsageError('start --attach takes exactly one container');
      const { record } = lifecycle.resolveContainer(ctx.paths, argv.containers[0]!);
      const { statSync } = await import('node:fs');
      let offset = 0;
      try {
        offset = statSync(logPath(ctx.paths.root, record.id)).size;
      } catch {
        // No log yet: follow from its beginning.
      }
      await lifecycle.startContainer(ctx.paths, record);
      const [{ followUntilExit }, { relayStdin }, { runtimeRoot }] = await Promise.all([import('./attach.js'), import('../runtime/attach-input.js'), import('../runtime/container-state.js')]);
      const relay = argv.interactive && lifecycle.monitorSettings(record).interactive ? relayStdin(runtimeRoot(ctx.paths), record.id) : undefined;
      try {
        process.exitCode = await followUntilExit(ctx.paths, record, offset);
      } finally {
        relay?.kill();
      }
      return;
    }
    await forEachInput(argv.containers, async (input) => {
      const { record } = lifecycle.resolveContainer(ctx.paths, input);
      await lifecycle.startContainer(ctx.paths, record);
      process.stdout.write(`${input}\n`);
    });
  },
};

export default start;
