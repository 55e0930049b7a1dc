// Crash-safe small-file writes: write a temporary sibling, fsync it, rename it
// over the target, fsync the directory. A reader (or a process restarted after
// kill -9 or a power cut) sees the old content or the new, never a mix.
import { closeSync, constants, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fromNodeError } from '../errors.js';
import { randomHex } from '../random.js';

/** fsyncs a directory so a rename or create in it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// Temporary sibling → rename over `path`; `durable` adds the fsyncs that make
// the new content survive a power cut, not just a crash of this process.
function replaceFile(path: string, data: string | Uint8Array, tmpDir: string, durable: boolean): void {
  const tmp = join(tmpDir, `.${basename(path)}.${randomHex(6)}.tmp`);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    if (durable) fsyncDir(dirname(path));
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw fromNodeError(err, path);
  }
}

/** Writes `data` to `path` atomically; the temporary file lives in `tmpDir` (same filesystem), or next to `path`. */
export function writeFileAtomic(path: string, data: string | Uint8Array, tmpDir = dirname(path)): void {
  replaceFile(path, data, tmpDir, true);
}

/**
 * Replaces `path` atomically for concurrent readers but without fsync, for
 * state whose loss in a power cut is harmless (it describes processes that
 * a reboot ends anyway, or a container about to be removed). The two fsyncs
 * cost milliseconds on every `hutch run`. After a power cut the file may be
 * old, missing or empty, so its readers must treat those as "no state".
 */
export function writeFileVolatile(path: string, data: string | Uint8Array): void {
  replaceFile(path, data, dirname(path), false);
}
