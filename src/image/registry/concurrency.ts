// A tiny concurrency limiter: layers download a few at a time so one pull does
// not hog the registry. Each download streams into its own native applier (a
// few MB), so every layer in flight is also being extracted.

/** Default number of blobs downloaded (and layers extracted) at once: 6, as containers/image (podman) does. */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 6;

/** Returns a runner that executes at most `limit` tasks at once, in submission order. */
export function limitConcurrency(limit: number = DEFAULT_DOWNLOAD_CONCURRENCY): <T>(task: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
  let active = 0;
  const waiting: Array<() => void> = [];
  // A finishing task hands its slot straight to the next waiter instead of freeing it, so the count never overshoots.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}
