// A tiny concurrency limiter: layers download a few at a time (containers/image
// and podman default to 3 parallel copies) so one pull neither hogs the
// registry nor starves the extractor that applies layers in order.

/** Default number of blobs downloaded at once, as containers/image does. */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 3;

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
