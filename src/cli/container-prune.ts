// `hutch container prune [-f]`: remove every container that is not running.
import type { CommandModule } from 'yargs';
import { NotFoundError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch container prune`. */
export interface ContainerPruneOptions extends GlobalOptions {
  force?: boolean;
}

async function confirm(question: string): Promise<boolean> {
  process.stdout.write(question);
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

const containerPrune: CommandModule<GlobalOptions, ContainerPruneOptions> = {
  command: 'prune',
  describe: 'Remove all stopped containers',
  builder: (yargs) => yargs.option('force', { alias: 'f', type: 'boolean', describe: 'Do not ask for confirmation' }),
  handler: async (argv) => {
    if (!argv.force && !(await confirm('WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] '))) return;
    const ctx = createContext(argv);
    const [lifecycle, { listContainers }, { forEachInput }] = await Promise.all([import('../runtime/lifecycle.js'), import('../runtime/container-store.js'), import('./each-container.js')]);
    await withStore(ctx, async (store) => {
      const candidates = listContainers(ctx.paths.root).filter((record) => {
        const state = lifecycle.currentState(ctx.paths, record.id);
        return state.pid === null && !state.monitorAlive;
      });
      await forEachInput(candidates.map((c) => c.id), async (id) => {
        // A container removed meanwhile (its --rm cleanup, a concurrent rm) is already what prune wants.
        let record;
        try {
          ({ record } = lifecycle.resolveContainer(ctx.paths, id));
          await lifecycle.removeContainer(store, ctx.paths, record, { force: false });
        } catch (err) {
          if (err instanceof NotFoundError) return;
          throw err;
        }
        process.stdout.write(`${id}\n`);
      });
    });
  },
};

export default containerPrune;
