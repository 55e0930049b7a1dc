// Crash-safe small-file writes: write a temporary sibling, fsync it, rename it
// over the target, fsync the directory. A reader (or a process restarted after
// kill -9 or a power cut) sees the old content or the new, never a mix.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fromNodeError } from '../errors.js';

/** fsyncs a directory so a rename or create in it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `data` to `path` atomically; the temporary file lives in `tmpDir` (same filesystem), or next to `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array, tmpDir = dirname(path)): void {
  const tmp = join(tmpDir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw fromNodeError(err, path);
  }
}
