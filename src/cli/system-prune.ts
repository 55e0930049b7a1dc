// `hutch system prune`: remove unnamed images, unreferenced layers, the
// leftovers of interrupted operations and the compiled seccomp programs.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch system prune`. */
export interface SystemPruneOptions extends GlobalOptions {
  all?: boolean;
  force?: boolean;
}

const systemPrune: CommandModule<GlobalOptions, SystemPruneOptions> = {
  command: 'prune',
  describe: 'Remove unused data: unnamed images (all unused ones with -a), unreferenced layers, leftovers, cached seccomp programs',
  builder: (yargs) =>
    yargs
      .option('all', { alias: 'a', type: 'boolean', describe: 'Remove every image no container uses' })
      .option('force', { alias: 'f', type: 'boolean', describe: 'Do not ask for confirmation (hutch never asks)' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [{ pruneImages }, { containersUsingImage }] = await Promise.all([import('../image/local.js'), import('../runtime/container-store.js')]);
    const { removed, programs } = await withStore(ctx, async (store) => ({
      removed: await pruneImages(store, { all: Boolean(argv.all), usedBy: (id) => containersUsingImage(store.root, id) }),
      programs: store.clearSeccompCache(),
    }));
    process.stdout.write(removed.length > 0 ? `Deleted Images\n${removed.join('\n')}\n` : '');
    if (programs > 0) process.stdout.write(`Deleted ${programs} cached seccomp program${programs === 1 ? '' : 's'}\n`);
  },
};

export default systemPrune;
