// `hutch rmi IMAGE...` (also `hutch image rm`): remove images, podman-style.
import type { CommandModule } from 'yargs';
import { HutchError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch rmi`. */
export interface RmiOptions extends GlobalOptions {
  images: string[];
  force?: boolean;
}

/** Builds the rmi command under a given name. */
export function rmiCommand(command: string, aliases: string[] = []): CommandModule<GlobalOptions, RmiOptions> {
  return {
    command: `${command} <images..>`,
    aliases,
    describe: 'Remove one or more images from local storage',
    builder: (yargs) =>
      yargs
        .positional('images', { type: 'string', array: true, demandOption: true })
        .option('force', { alias: 'f', type: 'boolean', describe: 'Remove an image with several names, or one used by containers (removing them)' }),
    handler: async (argv) => {
      const ctx = createContext(argv);
      const [{ removeImage }, { containersUsingImage }, { reportError }] = await Promise.all([
        import('../image/local.js'),
        import('../runtime/container-store.js'),
        import('./exit-codes.js'),
      ]);
      let failed = false;
      await withStore(ctx, async (store) => {
        for (const input of argv.images) {
          try {
            const outcome = await removeImage(store, input, { force: Boolean(argv.force), usedBy: (id) => containersUsingImage(store.root, id) });
            for (const name of outcome.untagged) process.stdout.write(`Untagged: ${name}\n`);
            for (const id of outcome.deleted) process.stdout.write(`Deleted: ${id}\n`);
          } catch (err) {
            if (!(err instanceof HutchError)) throw err;
            reportError(err);
            failed = true;
          }
        }
      });
      if (failed) process.exitCode = 125;
    },
  };
}

export default rmiCommand('rmi');
