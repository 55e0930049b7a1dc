// flock(2) locks on files, through the addon: they are released by the kernel
// when the process dies (kill -9 included), which is what makes the store's
// leftovers recognisable as stale.
import { closeSync, constants, openSync } from 'node:fs';
import { fromNodeError } from '../errors.js';
import { loadNative } from '../native/index.js';

/** A held lock; release() closes the descriptor, which drops the lock. */
export interface FileLock {
  readonly path: string;
  release(): void;
}

function openLockFile(path: string, create = true): number {
  try {
    return openSync(path, constants.O_RDWR | (create ? constants.O_CREAT : 0) | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw fromNodeError(err, path);
  }
}

function held(path: string, fd: number): FileLock {
  let open = true;
  return {
    path,
    release() {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}

/** Waits for an exclusive (or shared) lock on `path` without blocking the event loop. */
export async function lockFile(path: string, mode: 'exclusive' | 'shared' = 'exclusive'): Promise<FileLock> {
  const fd = openLockFile(path);
  try {
    // Uncontended, the usual case, it is taken at once, without a trip through the thread pool.
    if (!loadNative().flock(fd, mode, true)) await loadNative().flockAsync(fd, mode);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return held(path, fd);
}

/** Takes an exclusive lock on `path` if nobody holds it; null otherwise. `create: false` leaves a missing file missing (ENOENT). */
export function tryLockFile(path: string, options: { create?: boolean } = {}): FileLock | null {
  const fd = openLockFile(path, options.create ?? true);
  try {
    if (loadNative().flock(fd, 'exclusive', true)) return held(path, fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  closeSync(fd);
  return null;
}
