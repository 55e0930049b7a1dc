// Per-command resources shared by the commands that touch storage: the
// opened store (closed when the command ends) and an AbortSignal that fires
// on Ctrl-C/SIGTERM so long operations stop cleanly.
import type { Store } from '../storage/store.js';
import { InterruptedError } from '../errors.js';
import { ensurePrivateDir } from '../paths.js';
import type { Context } from './context.js';

/** Opens the store at the context's root, runs `fn`, and always closes it. */
export async function withStore<T>(ctx: Context, fn: (store: Store) => Promise<T>): Promise<T> {
  const { openStore } = await import('../storage/store.js');
  ensurePrivateDir(ctx.paths.root);
  const store = await openStore(ctx.paths.root);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * An AbortSignal aborted by the first SIGINT or SIGTERM (with an
 * InterruptedError as reason); a second signal exits at once.
 */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(name === 'SIGINT' ? 130 : 143);
    controller.abort(new InterruptedError(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
