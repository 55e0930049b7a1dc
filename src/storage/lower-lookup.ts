// Looks a path up through a stack of overlay-format diff dirs the way
// overlayfs would merge them, without following any symlink: hardlinks whose
// target lives in a lower layer, and implicitly created parent directories,
// need to know what the lower layers show at a path.
import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/** What the merged lower layers show at a path. */
export type LowerLookup =
  | { kind: 'found'; path: string; stat: Stats }
  | { kind: 'absent' }
  /** A parent component is a symlink in the merged view; resolving it could leave the root. */
  | { kind: 'through-symlink'; at: string };

/** Whether `st` is an overlay whiteout: a character device with device number 0/0. */
export function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

/**
 * Resolves `parts` through `lowers` (diff dirs, topmost first). A whiteout or a
 * non-directory at any prefix hides everything below it; an opaque directory
 * (`isOpaque`) hides the same prefix in every layer further down.
 */
export function lookupInLowers(lowers: readonly string[], parts: readonly string[], isOpaque: (dir: string) => boolean): LowerLookup {
  if (parts.length === 0) return { kind: 'absent' };
  for (const layer of lowers) {
    let stopBelow = false;
    for (let i = 0; i < parts.length; i++) {
      const path = join(layer, ...parts.slice(0, i + 1));
      const st = lstatOrNull(path);
      if (!st) break;
      if (isWhiteout(st)) return { kind: 'absent' };
      if (i === parts.length - 1) return { kind: 'found', path, stat: st };
      if (st.isSymbolicLink()) return { kind: 'through-symlink', at: parts.slice(0, i + 1).join('/') };
      if (!st.isDirectory()) return { kind: 'absent' };
      if (isOpaque(path)) stopBelow = true;
    }
    if (stopBelow) return { kind: 'absent' };
  }
  return { kind: 'absent' };
}
