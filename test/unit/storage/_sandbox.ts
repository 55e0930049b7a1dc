// A temporary root for applier tests: the layer's diff dir, optional lower
// layers, and a sentinel directory next to them that no test may change.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import { applyLayerTar, type ApplyLayerOptions, type ApplyResult } from '../../../src/storage/layer-applier.js';

export const LAYER_DIGEST = `sha256:${'ab'.repeat(32)}`;

export interface Sandbox {
  root: string;
  target: string;
  sentinel: string;
  /** A fresh lower diff dir (call in bottom-to-top order; pass the result of lowers() to apply). */
  lower(name: string): string;
  apply(tar: Buffer, options?: Partial<ApplyLayerOptions>): Promise<ApplyResult>;
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
    apply(tar, options = {}) {
      return applyLayerTar({ source: Readable.from([tar]), target, lowers: [], layerDigest: LAYER_DIGEST, ...options });
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
