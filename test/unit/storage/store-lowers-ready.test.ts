// Store.applyLayer with `lowersReady`: a layer extracted while the layers below
// it are still being applied (parallel pull). It must wait for them exactly
// where it looks below (cross-layer hardlink, implicit directory), commit only
// after them, and leave nothing when they fail.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { InvalidContentError } from '../../../src/errors.js';
import { chainIds } from '../../../src/image/digest.js';
import { OCI_LAYER_GZIP } from '../../../src/image/media-types.js';
import { openStore, type Store } from '../../../src/storage/store.js';
import { makeTar, type TarEntry } from './_tar.js';

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const direct = { plan: { mode: 'direct' as const } };

interface TestLayer {
  blob: Buffer;
  diffId: string;
  digest: string;
}

function layer(entries: TarEntry[]): TestLayer {
  const tar = makeTar(entries);
  const blob = gzipSync(tar);
  return { blob, diffId: sha256(tar), digest: sha256(blob) };
}

async function freshStore(t: { teardown(fn: () => void | Promise<void>): void }): Promise<{ store: Store; root: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-lowers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  return { store, root };
}

/** A promise with its resolve/reject exposed. */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** A source that delivers the blob and reports when it has been read to the end. */
function trackedSource(l: TestLayer): { stream: Readable; consumed: Promise<void> } {
  const stream = Readable.from([l.blob]);
  const consumed = new Promise<void>((resolve) => stream.once('end', resolve));
  return { stream, consumed };
}

function apply(store: Store, l: TestLayer, chainId: string, lowerChainIds: string[], source: Readable, lowersReady?: Promise<void>) {
  return store.applyLayer({
    chainId,
    diffIdExpected: l.diffId,
    digest: l.digest,
    mediaType: OCI_LAYER_GZIP,
    compressedSize: l.blob.length,
    source,
    lowerChainIds,
    ...(lowersReady ? { lowersReady } : {}),
  });
}

const base = layer([
  { name: 'usr/', type: '5', mode: 0o750 },
  { name: 'usr/bin/', type: '5', mode: 0o755 },
  { name: 'usr/bin/busybox', data: 'BUSYBOX', mode: 0o4755, uid: 0, gid: 0 },
]);

test('an independent upper layer is extracted completely while the layer below is still pending, and committed after it', async (t) => {
  const { store } = await freshStore(t);
  const top = layer([{ name: 'etc/', type: '5' }, { name: 'etc/motd', data: 'hello' }]);
  const [baseId, topId] = chainIds([base.diffId, top.diffId]) as [string, string];
  const below = deferred();
  const topSource = trackedSource(top);
  const topDone = apply(store, top, topId, [baseId], topSource.stream, below.promise);
  // The whole upper blob is read (downloaded, decompressed, applied) before the lower layer even starts.
  await topSource.consumed;
  t.false(store.hasLayer(baseId));
  t.false(store.hasLayer(topId));
  await apply(store, base, baseId, [], Readable.from([base.blob]));
  below.resolve();
  t.is((await topDone).status, 'applied');
  t.is(readFileSync(join(store.layerDiffPath(topId), 'etc', 'motd'), 'utf8'), 'hello');
});

test('a hardlink into a lower layer waits for that layer, then copies it (concurrent extraction)', async (t) => {
  const { store } = await freshStore(t);
  const top = layer([
    { name: 'usr/', type: '5', mode: 0o750 },
    { name: 'usr/bin/', type: '5', mode: 0o755 },
    { name: 'usr/bin/sh', type: '1', linkname: 'usr/bin/busybox' },
    { name: 'usr/bin/own', data: 'OWN' },
    { name: 'usr/bin/own-link', type: '1', linkname: 'usr/bin/own' },
  ]);
  const [baseId, topId] = chainIds([base.diffId, top.diffId]) as [string, string];
  const below = deferred();
  const topSource = trackedSource(top);
  const topDone = apply(store, top, topId, [baseId], topSource.stream, below.promise);
  // The lower layer is only started once the upper one's data has been handed to its worker.
  await topSource.consumed;
  t.is((await apply(store, base, baseId, [], Readable.from([base.blob]))).status, 'applied');
  t.false(store.hasLayer(topId));
  below.resolve();
  t.is((await topDone).status, 'applied');
  const sh = join(store.layerDiffPath(topId), 'usr', 'bin', 'sh');
  t.is(readFileSync(sh, 'utf8'), 'BUSYBOX');
  t.is(statSync(sh).mode & 0o7777, 0o4755);
  // A link to a file of the same layer stays a real hardlink.
  t.is(statSync(join(store.layerDiffPath(topId), 'usr', 'bin', 'own-link')).ino, statSync(join(store.layerDiffPath(topId), 'usr', 'bin', 'own')).ino);
});

test('an implicit directory takes the lower layer’s attributes even when extraction started before that layer existed', async (t) => {
  const { store } = await freshStore(t);
  const top = layer([{ name: 'usr/local/tool', data: 'T' }]);
  const [baseId, topId] = chainIds([base.diffId, top.diffId]) as [string, string];
  const below = deferred();
  const topSource = trackedSource(top);
  const topDone = apply(store, top, topId, [baseId], topSource.stream, below.promise);
  await topSource.consumed;
  await apply(store, base, baseId, [], Readable.from([base.blob]));
  below.resolve();
  await topDone;
  t.is(statSync(join(store.layerDiffPath(topId), 'usr')).mode & 0o7777, 0o750);
});

test('when the layers below fail, a layer waiting on them ends with an error and leaves nothing behind', async (t) => {
  const { store, root } = await freshStore(t);
  const top = layer([{ name: 'sh', type: '1', linkname: 'usr/bin/busybox' }]);
  const [baseId, topId] = chainIds([base.diffId, top.diffId]) as [string, string];
  const below = deferred();
  const topDone = apply(store, top, topId, [baseId], Readable.from([top.blob]), below.promise);
  below.reject(new InvalidContentError(`layer ${base.digest}: broken`));
  await t.throwsAsync(topDone);
  t.false(store.hasLayer(topId));
  t.false(existsSync(join(root, 'layers', topId.slice(7))));
  const [proc] = readdirSync(join(root, 'tmp'));
  t.deepEqual(readdirSync(join(root, 'tmp', proc!)).filter((name) => name !== 'holds.json'), ['lock']);
});

test('an upper layer that finished first is not committed when the layers below then fail', async (t) => {
  const { store } = await freshStore(t);
  const top = layer([{ name: 'etc/', type: '5' }, { name: 'etc/motd', data: 'hello' }]);
  const [baseId, topId] = chainIds([base.diffId, top.diffId]) as [string, string];
  const below = deferred();
  const topSource = trackedSource(top);
  const topDone = apply(store, top, topId, [baseId], topSource.stream, below.promise);
  await topSource.consumed;
  below.reject(new InvalidContentError(`layer ${base.digest}: broken`));
  await t.throwsAsync(topDone, { message: /broken/ });
  t.false(store.hasLayer(topId));
});
