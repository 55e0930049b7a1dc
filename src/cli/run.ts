// `hutch run [OPTIONS] IMAGE [COMMAND [ARG...]]`: create a container and run
// it in the foreground; the exit status is the container's.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import type { LifecycleFlagValues } from './detach-flags.js';
import { containerArguments, runFlags, toRawRunFlags, type ContainerFlagValues } from './run-flags.js';
import { withStore } from './session.js';
import type { RootfsChoice } from '../host/rootfs-mode.js';

/** Options of `hutch run`. */
export type RunCommandOptions = GlobalOptions & ContainerFlagValues & LifecycleFlagValues & { detach?: boolean };

const run: CommandModule<GlobalOptions, RunCommandOptions> = {
  command: 'run <image> [command..]',
  describe: 'Run a command in a new container',
  builder: (yargs) => containerArguments(yargs, runFlags),
  handler: async (argv) => {
    if (argv.detach || argv.restart !== undefined || argv['log-opt'] !== undefined || argv.memory !== undefined || argv['memory-swap'] !== undefined || argv.cpus !== undefined || argv['pids-limit'] !== undefined || argv.label !== undefined) {
      const { runMonitored } = await import('./run-detached.js');
      process.exitCode = await runMonitored(argv);
      return;
    }
    const ctx = createContext(argv);
    // The pull machinery (registry client, registries.conf) loads only when the image is missing.
    const [{ createFromCli }, { runForeground }, { forgetContainer }, { ensurePrivateDir }] = await Promise.all([
      import('../runtime/create-from-cli.js'),
      import('../runtime/run-foreground.js'),
      import('../runtime/container-store.js'),
      import('../paths.js'),
      // Loaded with the rest rather than when withStore asks for it: one round of module loading less.
      import('../storage/store.js'),
    ]);
    const command = [...(argv.command ?? []), ...(((argv as Record<string, unknown>)['--'] as string[] | undefined) ?? [])].map(String);
    let rootfs: RootfsChoice | undefined;
    const exitCode = await withStore(ctx, async (store) => {
      const { container, options } = await createFromCli(store, {
        image: argv.image,
        command,
        flags: toRawRunFlags(argv),
        autoRemove: Boolean(argv.rm),
        storageOpts: ctx.storageOpts,
        pullMissing: async (image) => (await import('./pull-with-progress.js')).pullWithProgress(store, { ...argv, image }, { quiet: Boolean(argv.quiet), interactive: ctx.interactive }),
      });
      const stateDir = ensurePrivateDir(ctx.paths.runroot);
      try {
        rootfs = container.rootfs;
        return await runForeground(container, { interactive: options.interactive, stateDir, removeOnExit: Boolean(argv.rm) });
      } finally {
        if (argv.rm) await forgetContainer(store, container.record.id);
      }
    });
    if (exitCode === 125) {
      const { hintsForFailedStart } = await import('../runtime/failure-hints.js');
      for (const hint of await hintsForFailedStart(rootfs)) process.stderr.write(`Hint: ${hint}\n`);
    }
    process.exitCode = exitCode;
  },
};

export default run;
