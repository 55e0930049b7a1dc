// The contract with `hutch-runtime apply-layer` (addon/apply-layer.cc), the
// native process that extracts one layer inside the user namespace: the job
// it takes as JSON on its command line and the JSON line it prints.
import type { LayerCompression } from '../image/media-types.js';

/** Caps against decompression bombs and absurd archives (whole numbers). */
export interface ApplyLimits {
  /** Most uncompressed tar bytes accepted (default 64 GiB). */
  maxBytes: number;
  /** Most uncompressed bytes per compressed byte (default 200)... */
  maxRatio: number;
  /** ...enforced only past this many bytes (default 256 MiB), so small, highly compressible layers (sparse files, zeros) pass. */
  ratioFloor: number;
  /** Most tar entries accepted (default one million). */
  maxEntries: number;
}

/** The job as the applier reads it. */
export interface ApplyJob {
  /** Empty diff dir to fill (in the store's tmp/). */
  target: string;
  /** Diff dirs of the layers below, topmost first. */
  lowers: string[];
  /** The compressed blob's digest, for messages. */
  layerDigest: string;
  /** What the media type declares; the blob's magic bytes must agree. */
  compression: LayerCompression;
  /** Size of the compressed blob (for the ratio cap). */
  compressedSize?: number;
  /** Single-id mode: chown to unmapped ids is ignored. */
  ignoreChownErrors?: boolean;
  limits?: Partial<ApplyLimits>;
  /** `lowers` are still being applied: the parent writes one byte on fd 3 once they are complete. */
  lowersPending?: boolean;
}

/** What the applier prints on success. */
export interface ApplyJobResult {
  /** sha256 of the uncompressed tar, to compare with the config's rootfs.diff_ids. */
  diffId: string;
  /** Uncompressed bytes. */
  bytes: number;
  entries: number;
  warnings: string[];
  /** Disk space the applied diff takes (blocks, hardlinks once). */
  diskBytes: number;
}

/** What the applier prints on failure; the parent rebuilds a HutchError from it. */
export interface ApplyJobError {
  name: string;
  code: string;
  message: string;
  hint?: string;
}
