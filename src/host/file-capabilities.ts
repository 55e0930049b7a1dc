// Decoding of the `security.capability` extended attribute (struct
// vfs_cap_data / vfs_ns_cap_data in linux/capability.h, little-endian), the
// way distributions such as Fedora grant newuidmap cap_setuid instead of setuid.
import { KNOWN_CAPABILITIES } from '../spec/capabilities.js';

/** Capability names by number in libcap's lowercase spelling (cap_setuid), as getcap prints them. */
export const CAPABILITY_NAMES: readonly string[] = KNOWN_CAPABILITIES.map((name) => name.toLowerCase());

/** The decoded content of a file capability xattr. */
export interface FileCapabilities {
  /** vfs_cap_data revision: 1 (32-bit sets), 2 (64-bit sets), 3 (namespaced, with a root uid). */
  revision: 1 | 2 | 3;
  /** VFS_CAP_FLAGS_EFFECTIVE: permitted capabilities become effective at exec. */
  effective: boolean;
  permitted: string[];
  inheritable: string[];
  /** Revision 3 only: the file caps apply only in user namespaces whose root maps to this host uid. */
  rootUid?: number;
}

const REVISION_MASK = 0xff000000;
const FLAGS_EFFECTIVE = 0x000001;
// Sizes by revision: magic_etc + {permitted, inheritable} per 32-bit word (+ rootid for v3).
const LAYOUT = {
  0x01000000: { revision: 1, words: 1, size: 12 },
  0x02000000: { revision: 2, words: 2, size: 20 },
  0x03000000: { revision: 3, words: 2, size: 24 },
} as const;

function names(words: number[]): string[] {
  const out: string[] = [];
  words.forEach((word, w) => {
    for (let bit = 0; bit < 32; bit++) {
      if (((word >>> bit) & 1) === 0) continue;
      const n = w * 32 + bit;
      out.push(CAPABILITY_NAMES[n] ?? `cap_${n}`);
    }
  });
  return out;
}

/** Decodes a `security.capability` value; returns null when it is not a valid vfs_cap_data. */
export function decodeFileCapabilities(value: Buffer): FileCapabilities | null {
  if (value.length < 4) return null;
  const magic = value.readUInt32LE(0);
  const layout = LAYOUT[(magic & REVISION_MASK) >>> 0 as keyof typeof LAYOUT];
  if (!layout || value.length !== layout.size) return null;
  const permitted: number[] = [];
  const inheritable: number[] = [];
  for (let w = 0; w < layout.words; w++) {
    permitted.push(value.readUInt32LE(4 + w * 8));
    inheritable.push(value.readUInt32LE(8 + w * 8));
  }
  const caps: FileCapabilities = {
    revision: layout.revision,
    effective: (magic & FLAGS_EFFECTIVE) !== 0,
    permitted: names(permitted),
    inheritable: names(inheritable),
  };
  if (layout.revision === 3) caps.rootUid = value.readUInt32LE(20);
  return caps;
}
