// A temporary root for applier tests: the layer's diff dir, optional lower
// layers, and a sentinel directory next to them that no test may change.
// Layers are applied by the native applier (`hutch-runtime apply-layer`),
// spawned directly as the test's own user (root: owners as in the tar).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import { OCI_LAYER_TAR } from '../../../src/image/media-types.js';
import { extractLayer } from '../../../src/storage/apply-client.js';
import type { ApplyJobResult, ApplyLimits } from '../../../src/storage/apply-job.js';

export const LAYER_DIGEST = `sha256:${'ab'.repeat(32)}`;

/** How one apply() call differs from a plain uncompressed layer with no lowers. */
export interface ApplyOptions {
  lowers?: string[];
  limits?: Partial<ApplyLimits>;
  /** The blob's media type (default: uncompressed tar); the bytes given must match it. */
  mediaType?: string;
  /** Default: the length of the bytes given. */
  compressedSize?: number;
  target?: string;
  /** Replaces the bytes given (streams that stall, fail...). */
  source?: Readable;
  signal?: AbortSignal;
  ignoreChownErrors?: boolean;
  lowersReady?: Promise<void>;
}

export interface Sandbox {
  root: string;
  target: string;
  sentinel: string;
  /** A fresh lower diff dir (call in bottom-to-top order; pass the result of lowers() to apply). */
  lower(name: string): string;
  apply(blob: Buffer, options?: ApplyOptions): Promise<ApplyJobResult>;
  /** Asserts the sentinel dir is untouched and nothing appeared next to the layer dirs. */
  assertConfined(): void;
}

export function sandbox(t: ExecutionContext): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'hutch-applier-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const sentinel = join(root, 'sentinel');
  mkdirSync(sentinel);
  writeFileSync(join(sentinel, 'keep'), 'sentinel');
  const target = join(root, 'layer', 'diff');
  mkdirSync(target, { recursive: true });
  const lowerNames: string[] = [];
  return {
    root,
    target,
    sentinel,
    lower(name: string) {
      const dir = join(root, 'lowers', name);
      mkdirSync(dir, { recursive: true });
      lowerNames.push(name);
      return dir;
    },
    apply(blob, options = {}) {
      const layer = {
        target: options.target ?? target,
        lowers: options.lowers ?? [],
        layerDigest: LAYER_DIGEST,
        mediaType: options.mediaType ?? OCI_LAYER_TAR,
        compressedSize: options.compressedSize ?? blob.length,
        ...(options.ignoreChownErrors ? { ignoreChownErrors: true } : {}),
        ...(options.limits ? { limits: options.limits } : {}),
      };
      return extractLayer({ mode: 'direct' }, layer, options.source ?? Readable.from([blob]), options.signal, options.lowersReady);
    },
    assertConfined() {
      t.deepEqual(readdirSync(sentinel), ['keep'], 'sentinel dir unchanged');
      t.is(readFileSync(join(sentinel, 'keep'), 'utf8'), 'sentinel');
      t.deepEqual(readdirSync(root).sort(), (lowerNames.length > 0 ? ['layer', 'lowers', 'sentinel'] : ['layer', 'sentinel']));
      t.deepEqual(readdirSync(join(root, 'layer')), ['diff']);
      if (lowerNames.length > 0) t.deepEqual(readdirSync(join(root, 'lowers')).sort(), [...lowerNames].sort());
    },
  };
}
