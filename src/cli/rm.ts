// `hutch rm [-f] [-v] [-a] CONTAINER...`: remove containers. podman's exit
// codes: 1 when a container did not exist (and nothing else failed), 2 when
// one is running or paused without -f, 125 otherwise.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { containerInputs } from './all-containers.js';
import { forEachInput } from './each-container.js';
import { withStore } from './session.js';

/** Options of `hutch rm`. */
export interface RmOptions extends GlobalOptions {
  containers?: string[];
  force?: boolean;
  volumes?: boolean;
  all?: boolean;
  ignore?: boolean;
  time?: number;
}

/** Builds the rm command under a given name (`rm` at top level and in `container`). */
export function rmCommand(command: string, aliases: string[] = []): CommandModule<GlobalOptions, RmOptions> {
  return {
    command: `${command} [containers..]`,
    aliases,
    describe: 'Remove one or more containers',
    builder: (yargs) =>
      yargs
        .positional('containers', { type: 'string', array: true })
        .option('force', { alias: 'f', type: 'boolean', describe: 'Stop a running container first (SIGKILL)' })
        .option('volumes', { alias: 'v', type: 'boolean', describe: 'Remove anonymous volumes (hutch creates none: accepted for compatibility)' })
        .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all containers' })
        .option('ignore', { alias: 'i', type: 'boolean', describe: 'Ignore containers that do not exist' })
        .option('time', { alias: 't', type: 'number', describe: 'With --force, seconds to wait after the stop signal before SIGKILL' }),
    handler: async (argv) => {
      const ctx = createContext(argv);
      const lifecycle = await import('../runtime/lifecycle.js');
      const inputs = containerInputs(ctx, argv.containers, argv.all, () => true);
      let running = 0;
      const outcome = await withStore(ctx, (store) =>
        forEachInput(inputs, async (input) => {
          const found = lifecycle.findOrIgnore(ctx.paths, input, Boolean(argv.ignore));
          if (!found) return;
          try {
            await lifecycle.removeContainer(store, ctx.paths, found.record, { force: Boolean(argv.force), ...(argv.time !== undefined ? { timeoutSeconds: argv.time } : {}) });
          } catch (err) {
            if (err instanceof lifecycle.ContainerStateError) running++;
            throw err;
          }
          process.stdout.write(`${input}\n`);
        }),
      );
      if (outcome.failed > 0) process.exitCode = running > 0 ? 2 : outcome.notFound === outcome.failed ? 1 : 125;
    },
  };
}

export default rmCommand('rm');
