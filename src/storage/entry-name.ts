// Tar entry names → paths relative to a layer's root, and the OCI whiteout
// naming rules (image-spec layer.md "Whiteouts").

/** Longest entry name accepted, in bytes (PATH_MAX). */
export const MAX_NAME_BYTES = 4096;
/** Longest single path component, in bytes (NAME_MAX). */
const MAX_COMPONENT_BYTES = 255;

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const META_PREFIX = '.wh..wh.';

/** Why a name was refused; the caller turns it into an error naming the layer and entry. */
export class BadEntryName extends Error {}

/**
 * Splits an entry name into components relative to the layer root. Leading
 * `/` and `./` are dropped, as containers/storage does (absolute names are
 * made relative to the root, never resolved on the host). A `..` component is
 * refused outright rather than resolved: no legitimate layer needs one, and
 * refusing it means no path can ever climb out of the root.
 */
export function splitEntryName(name: string): string[] {
  if (name.includes('\0')) throw new BadEntryName('name contains a NUL byte');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw new BadEntryName(`name is longer than ${MAX_NAME_BYTES} bytes`);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new BadEntryName('name has a `..` component');
    if (Buffer.byteLength(part) > MAX_COMPONENT_BYTES) throw new BadEntryName(`a component is longer than ${MAX_COMPONENT_BYTES} bytes`);
    parts.push(part);
  }
  return parts;
}

/** What a base name means under the whiteout rules. */
export type WhiteoutKind =
  | { kind: 'none' }
  | { kind: 'opaque' }
  | { kind: 'meta' }
  | { kind: 'whiteout'; target: string };

/**
 * Classifies a base name. `.wh..wh..opq` marks an opaque directory; other
 * `.wh..wh.` names are AUFS metadata (e.g. `.wh..wh.plnk`) that the spec says
 * to ignore; `.wh.<name>` deletes `<name>` from lower layers. `.wh.`, `.wh..`
 * and `.wh...` would name the directory itself or its parent: refused.
 */
export function classifyWhiteout(base: string): WhiteoutKind {
  if (!base.startsWith(WHITEOUT_PREFIX)) return { kind: 'none' };
  if (base === OPAQUE_MARKER) return { kind: 'opaque' };
  if (base.startsWith(META_PREFIX)) return { kind: 'meta' };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === '' || target === '.' || target === '..' || target.includes('/')) {
    throw new BadEntryName(`malformed whiteout name \`${base}\``);
  }
  return { kind: 'whiteout', target };
}
