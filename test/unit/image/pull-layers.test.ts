// pullImage's layer scheduling, end to end through the store (direct id mode,
// from an OCI layout): layers extracted concurrently still see the layers
// below for cross-layer hardlinks, and a failing layer leaves no image and
// nothing above it.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { InvalidContentError } from '../../../src/errors.js';
import { chainIds } from '../../../src/image/digest.js';
import { pullImage } from '../../../src/image/pull.js';
import type { LayerUpdate, PullReporter } from '../../../src/image/pull-events.js';
import { openStore, type Store } from '../../../src/storage/store.js';
import { buildImage, writeOciLayout, type BuiltImage, type LayerSpec } from '../../helpers/image-builder.js';

async function setup(t: { teardown(fn: () => void | Promise<void>): void }, image: BuiltImage): Promise<{ store: Store; layout: string; root: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-pull-layers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const layout = join(dir, 'layout');
  await writeOciLayout(layout, image, 'latest');
  const root = join(dir, 'root');
  const store = await openStore(root, { plan: { mode: 'direct' } });
  t.teardown(() => store.close());
  return { store, layout, root };
}

function recordingReporter(): { reporter: PullReporter; updates: LayerUpdate[] } {
  const updates: LayerUpdate[] = [];
  const reporter: PullReporter = { resolved() {}, layer: (u) => updates.push(u), note() {}, done() {}, close() {} };
  return { reporter, updates };
}

const filler = (n: number): LayerSpec => ({
  compression: 'gzip',
  entries: [{ type: 'dir', path: `d${n}` }, ...Array.from({ length: 50 }, (_, i) => ({ type: 'file' as const, path: `d${n}/f${i}`, content: `${n}:${i}\n`.repeat(500) }))],
});

test('five layers pulled concurrently: hardlinks into lower layers resolve, every layer is stored bottom-up', async (t) => {
  const image = await buildImage({
    layers: [
      { compression: 'gzip', entries: [{ type: 'dir', path: 'bin' }, { type: 'file', path: 'bin/busybox', content: 'BUSYBOX', mode: 0o755 }] },
      filler(1),
      { compression: 'zstd', entries: [{ type: 'dir', path: 'bin' }, { type: 'hardlink', path: 'bin/sh', target: 'bin/busybox' }] },
      filler(3),
      { compression: 'none', entries: [{ type: 'dir', path: 'd1' }, { type: 'hardlink', path: 'd1/copy', target: 'd1/f7' }, { type: 'hardlink', path: 'top-sh', target: 'bin/sh' }] },
    ],
  });
  const { store, layout } = await setup(t, image);
  const { reporter, updates } = recordingReporter();
  const { image: record } = await pullImage(store, { input: `oci:${layout}:latest`, reporter });
  const chain = chainIds(image.layers.map((l) => l.diffId));
  t.deepEqual(record.layers, chain);
  for (const id of chain) t.true(store.hasLayer(id));
  t.is(readFileSync(join(store.layerDiffPath(chain[2]!), 'bin', 'sh'), 'utf8'), 'BUSYBOX');
  t.is(readFileSync(join(store.layerDiffPath(chain[4]!), 'd1', 'copy'), 'utf8'), '1:7\n'.repeat(500));
  t.is(readFileSync(join(store.layerDiffPath(chain[4]!), 'top-sh'), 'utf8'), 'BUSYBOX');
  t.is(statSync(join(store.layerDiffPath(chain[4]!), 'top-sh')).mode & 0o777, 0o755);
  const final = new Map(updates.map((u) => [u.digest, u.state]));
  t.deepEqual([...final.values()], image.layers.map(() => 'done'));
});

test('a bad layer in the middle fails the pull: no image, nothing above it stored, no staging left', async (t) => {
  const image = await buildImage({
    layers: [
      filler(0),
      { compression: 'gzip', entries: [{ type: 'raw', record: { name: '../escape', typeflag: '0', content: Buffer.from('x') } }] },
      filler(2),
      { compression: 'gzip', entries: [{ type: 'hardlink', path: 'link', target: 'd0/f1' }] },
    ],
  });
  const { store, layout, root } = await setup(t, image);
  const { reporter } = recordingReporter();
  const err = await t.throwsAsync(pullImage(store, { input: `oci:${layout}:latest`, reporter }), { instanceOf: InvalidContentError });
  t.regex(err!.message, new RegExp(`layer ${image.layers[1]!.digest}: entry \`\\.\\./escape\``));
  const chain = chainIds(image.layers.map((l) => l.diffId));
  for (const id of chain.slice(1)) t.false(store.hasLayer(id));
  t.deepEqual(store.listImages(), []);
  const [proc] = readdirSync(join(root, 'tmp'));
  t.deepEqual(readdirSync(join(root, 'tmp', proc!)).filter((name) => name !== 'holds.json'), ['lock']);
});

test('a second pull of the same layout finds every layer and fetches nothing', async (t) => {
  const image = await buildImage({ layers: [filler(0), filler(1)] });
  const { store, layout } = await setup(t, image);
  await pullImage(store, { input: `oci:${layout}:latest`, reporter: recordingReporter().reporter });
  const { reporter, updates } = recordingReporter();
  await pullImage(store, { input: `oci:${layout}:latest`, reporter });
  t.deepEqual(updates.map((u) => u.state), ['exists', 'exists']);
});
