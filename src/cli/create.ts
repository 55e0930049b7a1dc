// `hutch create [OPTIONS] IMAGE [COMMAND [ARG...]]`: create a container
// without starting it and print its full ID (podman create).
import type { CommandModule } from 'yargs';
import type { CreatedContainer } from '../runtime/create-from-cli.js';
import { createContext, type GlobalOptions } from './context.js';
import { parseLabels, parseLogMaxSize, type LifecycleFlagValues } from './detach-flags.js';
import { containerArguments, createFlags, toRawRunFlags, type ContainerFlagValues } from './run-flags.js';
import { withStore } from './session.js';

/** Options of `hutch create`. */
export type CreateOptions = GlobalOptions & ContainerFlagValues & LifecycleFlagValues;

/** Creates the container the parsed flags describe (shared with `run -d`). */
export async function createFromArgv(argv: CreateOptions): Promise<CreatedContainer> {
  const ctx = createContext(argv);
  const { createMonitoredContainer } = await import('../runtime/create-container.js');
  const command = [...(argv.command ?? []), ...(((argv as unknown as Record<string, unknown>)['--'] as string[] | undefined) ?? [])].map(String);
  return withStore(ctx, async (store) => {
    return createMonitoredContainer(store, {
      image: argv.image,
      command,
      flags: { ...toRawRunFlags(argv), memory: argv.memory, memorySwap: argv['memory-swap'], cpus: argv.cpus, pidsLimit: argv['pids-limit'] },
      autoRemove: Boolean(argv.rm),
      storageOpts: ctx.storageOpts,
      pullMissing: async (image) => (await import('./pull-with-progress.js')).pullWithProgress(store, { ...argv, image }, { quiet: Boolean(argv.quiet), interactive: ctx.interactive }),
      restart: argv.restart,
      logMaxSize: parseLogMaxSize(argv['log-opt']),
      labels: parseLabels(argv.label),
    });
  });
}

const create: CommandModule<GlobalOptions, CreateOptions> = {
  command: 'create <image> [command..]',
  describe: 'Create a container without starting it',
  builder: (yargs) => containerArguments(yargs, createFlags),
  handler: async (argv) => {
    process.stdout.write(`${(await createFromArgv(argv)).container.record.id}\n`);
  },
};

export default create;
