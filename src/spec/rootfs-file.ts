// Reads one file of an image's merged root filesystem straight from the
// layer diff dirs, without mounting anything. The image is untrusted: every
// symlink is resolved inside the rootfs (absolute targets from its root, `..`
// clamped there), never on the host, and only a regular file of bounded size
// is returned. Used for /etc/passwd and /etc/group before the container starts.
// The calls are synchronous: a lookup is a few dozen lstats that each take
// microseconds, and a round trip through libuv's thread pool per call would
// cost more than the call itself on every container start.
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { InvalidContentError, fromNodeError } from '../errors.js';
import { loadNative } from '../native/index.js';
import { isWhiteout } from '../storage/lower-lookup.js';

/** Linux's own limit on symlinks followed in one lookup (MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;

/** Reads an extended attribute without following symlinks; null when absent. */
export type GetXattr = (path: string, name: string) => Buffer | null;

/** Dependencies of readFileInRootfs (injected in tests). */
export interface RootfsReadOptions {
  /** Defaults to the native addon's getxattr. */
  getxattr?: GetXattr;
}

type Lookup = { kind: 'missing' } | { kind: 'dir'; layers: number[] } | { kind: 'entry'; hostPath: string; stat: Stats };

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw fromNodeError(err);
  }
}

function opaqueChecker(getxattr: GetXattr): (dir: string) => boolean {
  return (dir) => {
    try {
      // The store marks opaque dirs with user.overlay.opaque (overlayfs `userxattr`); trusted.* is what a rootful overlay writes.
      return getxattr(dir, 'user.overlay.opaque')?.toString() === 'y' || getxattr(dir, 'trusted.overlay.opaque')?.toString() === 'y';
    } catch (err) {
      // A filesystem without user xattrs cannot carry an opaque marker.
      const code = (err as { code?: string }).code;
      if (code === 'ENOTSUP' || code === 'EOPNOTSUPP') return false;
      throw err;
    }
  };
}

/**
 * Looks `name` up under directory `dir` (already resolved, components) in the
 * layers where `dir` is a directory, topmost first, as overlayfs merges them.
 */
function lookupChild(lowerDirs: readonly string[], layers: readonly number[], dir: readonly string[], name: string, isOpaque: (p: string) => boolean): Lookup {
  const dirs: number[] = [];
  for (const i of layers) {
    const hostPath = join(lowerDirs[i]!, ...dir, name);
    const st = lstatOrNull(hostPath);
    if (!st) continue;
    if (isWhiteout(st) || !st.isDirectory()) {
      // A whiteout or a non-directory hides every lower layer; a non-directory on top is the entry itself.
      if (dirs.length > 0 || isWhiteout(st)) break;
      return { kind: 'entry', hostPath, stat: st };
    }
    dirs.push(i);
    if (isOpaque(hostPath)) break;
  }
  return dirs.length > 0 ? { kind: 'dir', layers: dirs } : { kind: 'missing' };
}

function rootLayers(lowerDirs: readonly string[], isOpaque: (p: string) => boolean): number[] {
  const layers: number[] = [];
  for (let i = 0; i < lowerDirs.length; i++) {
    layers.push(i);
    if (isOpaque(lowerDirs[i]!)) break;
  }
  return layers;
}

function defaultGetxattr(): GetXattr {
  const native = loadNative();
  return (path, name) => native.getxattr(path, name, { noFollow: true });
}

/**
 * Returns the content of `path` in the merged rootfs made of `lowerDirs`
 * (overlay diff dirs, TOP FIRST, as overlayfs's lowerdir=), or null when it
 * does not exist. Throws InvalidContentError when the path is not a regular
 * file, is larger than `maxBytes`, or its symlinks loop.
 */
export async function readFileInRootfs(lowerDirs: readonly string[], path: string, maxBytes: number, options: RootfsReadOptions = {}): Promise<Buffer | null> {
  const isOpaque = opaqueChecker(options.getxattr ?? defaultGetxattr());
  const top = rootLayers(lowerDirs, isOpaque);
  let resolved: string[] = [];
  let layers = top;
  const pending = path.split('/');
  let hops = 0;
  let found: { hostPath: string; stat: Stats } | null = null;

  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (found) return null; // a component after a non-directory: ENOTDIR, i.e. not there
    if (part === '..') {
      // `..` never climbs above the rootfs root, as in a chroot.
      resolved = resolved.slice(0, -1);
      layers = top;
      for (let k = 0; k < resolved.length; k++) {
        const r = lookupChild(lowerDirs, layers, resolved.slice(0, k), resolved[k]!, isOpaque);
        if (r.kind !== 'dir') return null;
        layers = r.layers;
      }
      continue;
    }
    const r = lookupChild(lowerDirs, layers, resolved, part, isOpaque);
    if (r.kind === 'missing') return null;
    if (r.kind === 'dir') {
      resolved.push(part);
      layers = r.layers;
      continue;
    }
    if (r.stat.isSymbolicLink()) {
      if (++hops > MAX_SYMLINK_HOPS) {
        throw new InvalidContentError(`\`${path}\` in the image: too many levels of symbolic links (ELOOP)`);
      }
      const target = readlinkSync(r.hostPath);
      if (target.startsWith('/')) {
        resolved = [];
        layers = top;
      }
      pending.unshift(...target.split('/'));
      continue;
    }
    found = { hostPath: r.hostPath, stat: r.stat };
  }

  if (!found) throw new InvalidContentError(`\`${path}\` in the image is a directory, not a regular file`);
  if (!found.stat.isFile()) throw new InvalidContentError(`\`${path}\` in the image is not a regular file (device, FIFO or socket)`);
  if (found.stat.size > maxBytes) {
    throw new InvalidContentError(`\`${path}\` in the image is ${found.stat.size} bytes, more than the ${maxBytes} allowed`);
  }
  return readBounded(found.hostPath, found.stat, maxBytes, path);
}

/** Opens (libuv adds O_CLOEXEC) without following a symlink or blocking, re-checks it is the same regular file, and reads at most maxBytes. */
function readBounded(hostPath: string, expected: Stats, maxBytes: number, shown: string): Buffer {
  let fd: number;
  try {
    fd = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    throw fromNodeError(err, hostPath);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.ino !== expected.ino || st.dev !== expected.dev) {
      throw new InvalidContentError(`\`${shown}\` in the image changed while being read`);
    }
    const buf = Buffer.alloc(maxBytes + 1);
    let total = 0;
    for (;;) {
      const bytesRead = readSync(fd, buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new InvalidContentError(`\`${shown}\` in the image is larger than the ${maxBytes} bytes allowed`);
    }
    return buf.subarray(0, total);
  } finally {
    closeSync(fd);
  }
}
