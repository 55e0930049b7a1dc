// `hutch image prune [-a]`: remove unnamed (or all unused) images and unreferenced layers.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch image prune`. */
export interface ImagePruneOptions extends GlobalOptions {
  all?: boolean;
  force?: boolean;
}

const imagePrune: CommandModule<GlobalOptions, ImagePruneOptions> = {
  command: 'prune',
  describe: 'Remove images without names (with -a: every image no container uses)',
  builder: (yargs) =>
    yargs
      .option('all', { alias: 'a', type: 'boolean', describe: 'Remove all images not used by a container' })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Do not ask for confirmation (hutch never asks)' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [{ pruneImages }, { containersUsingImage }] = await Promise.all([import('../image/local.js'), import('../runtime/container-store.js')]);
    const removed = await withStore(ctx, (store) => pruneImages(store, { all: Boolean(argv.all), usedBy: (id) => containersUsingImage(store.root, id) }));
    if (removed.length > 0) process.stdout.write(`${removed.join('\n')}\n`);
  },
};

export default imagePrune;
