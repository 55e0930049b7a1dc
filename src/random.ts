// Random bytes for ids and temporary names, read from the kernel's CSPRNG
// (/dev/urandom, the pool getrandom(2) serves) rather than node:crypto, whose
// loading costs about 4 ms of every `hutch run` on Node 20.
import { openSync, readSync } from 'node:fs';

let urandom: number | undefined;

function randomBytes(count: number): Buffer {
  urandom ??= openSync('/dev/urandom', 'r');
  const bytes = Buffer.alloc(count);
  for (let filled = 0; filled < count; ) filled += readSync(urandom, bytes, filled, count - filled, null);
  return bytes;
}

/** `count` random bytes as lower-case hex. */
export function randomHex(count: number): string {
  return randomBytes(count).toString('hex');
}

/** A uniformly random integer in [0, max), for max ≤ 2^32. */
export function randomBelow(max: number): number {
  // Rejection sampling: values past the last whole multiple of max would bias the result.
  const limit = 2 ** 32 - (2 ** 32 % max);
  for (;;) {
    const value = randomBytes(4).readUInt32LE(0);
    if (value < limit) return value % max;
  }
}
