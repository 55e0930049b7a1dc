import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { InvalidContentError, NotFoundError } from '../../../src/errors.js';
import { chainIds } from '../../../src/image/digest.js';
import { OCI_LAYER_GZIP } from '../../../src/image/media-types.js';
import { tryLockFile } from '../../../src/storage/file-lock.js';
import { openStore, type ImageRecord, type Store } from '../../../src/storage/store.js';
import { makeTar, type TarEntry } from './_tar.js';

const sha256 = (data: Uint8Array | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const direct = { plan: { mode: 'direct' as const } };

function storeRoot(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'root');
}

interface TestLayer {
  tar: Buffer;
  blob: Buffer;
  diffId: string;
  digest: string;
}

function layer(entries: TarEntry[]): TestLayer {
  const tar = makeTar(entries);
  const blob = gzipSync(tar);
  return { tar, blob, diffId: sha256(tar), digest: sha256(blob) };
}

async function apply(store: Store, l: TestLayer, chainId: string, lowerChainIds: string[] = [], onFetch?: () => void) {
  return store.applyLayer({
    chainId,
    diffIdExpected: l.diffId,
    digest: l.digest,
    mediaType: OCI_LAYER_GZIP,
    compressedSize: l.blob.length,
    source: () => {
      onFetch?.();
      return Readable.from([l.blob]);
    },
    lowerChainIds,
  });
}

function tmpEntries(root: string): string[] {
  return readdirSync(join(root, 'tmp'));
}

test('openStore creates the documented layout, private to the user', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  for (const dir of ['', 'blobs/sha256', 'layers', 'images', 'tmp']) t.is(statSync(join(root, dir)).mode & 0o777, 0o700, dir || 'root');
  t.true(existsSync(join(root, 'store.lock')));
  await store.close();
  t.deepEqual(tmpEntries(root), []);
});

test('blobs are verified before they are stored and when a pull reuses them', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const data = Buffer.from('{"schemaVersion":2}');
  const digest = sha256(data);
  t.throws(() => store.putBlob(digest, Buffer.from('{"schemaVersion":3}')), { instanceOf: InvalidContentError, message: /digest mismatch/ });
  t.false(store.hasBlob(digest));
  store.putBlob(digest, data);
  t.deepEqual(store.getBlob(digest), data);
  writeFileSync(store.blobPath(digest), 'tampered');
  t.throws(() => store.getBlob(digest), { instanceOf: InvalidContentError });
  t.throws(() => store.blobPath('sha256:../../etc/passwd'), { instanceOf: InvalidContentError });
  t.is(store.getBlob(sha256('absent')), null);
});

test('readStoredBlob reads a stored blob back without hashing it, and null when absent', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const data = Buffer.from('{"architecture":"amd64"}');
  store.putBlob(sha256(data), data);
  t.deepEqual(store.readStoredBlob(sha256(data)), data);
  t.is(store.readStoredBlob(sha256('absent')), null);
  t.throws(() => store.readStoredBlob('sha256:../../etc/passwd'), { instanceOf: InvalidContentError });
});

test('applyLayer stores a layer once; a later call does not fetch it again', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const l = layer([{ name: 'etc/os-release', data: 'ID=test\n', uid: 1000 }]);
  const [chainId] = chainIds([l.diffId]) as [string];
  let fetches = 0;
  const first = await apply(store, l, chainId, [], () => fetches++);
  t.is(first.status, 'applied');
  t.true(store.hasLayer(chainId));
  t.is(readFileSync(join(store.layerDiffPath(chainId), 'etc', 'os-release'), 'utf8'), 'ID=test\n');
  const record = JSON.parse(readFileSync(join(root, 'layers', chainId.slice(7), 'layer.json'), 'utf8'));
  t.like(record, { chainId, diffId: l.diffId, digest: l.digest, mediaType: OCI_LAYER_GZIP, size: l.blob.length, uncompressedSize: l.tar.length, entries: 1 });
  t.true(record.diskSize > 0);
  const second = await apply(store, l, chainId, [], () => fetches++);
  t.is(second.status, 'exists');
  t.is(fetches, 1);
});

test('a diff_id mismatch leaves no layer and no staging leftovers', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const l = layer([{ name: 'f', data: 'x' }]);
  const wrong = sha256('another diff');
  const err = await t.throwsAsync(store.applyLayer({ chainId: wrong, diffIdExpected: wrong, digest: l.digest, mediaType: OCI_LAYER_GZIP, compressedSize: l.blob.length, source: Readable.from([l.blob]), lowerChainIds: [] }), { instanceOf: InvalidContentError });
  t.regex(err!.message, new RegExp(`layer ${l.digest}.*diff_id is ${wrong}`));
  t.false(store.hasLayer(wrong));
  t.false(existsSync(join(root, 'layers', wrong.slice(7))));
  const [proc] = tmpEntries(root);
  t.deepEqual(readdirSync(join(root, 'tmp', proc!)), ['lock']);
});

test('a malicious layer fails in the worker with the layer digest and entry, and is not stored', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const l = layer([{ name: '../escape', data: 'x' }]);
  const [chainId] = chainIds([l.diffId]) as [string];
  await t.throwsAsync(apply(store, l, chainId), { instanceOf: InvalidContentError, message: new RegExp(`layer ${l.digest}: entry \`\\.\\./escape\``) });
  t.false(store.hasLayer(chainId));
  t.false(existsSync(join(root, 'tmp', 'escape')));
});

test('an error of the source stream after all bytes were sent (digest mismatch upstream) wins: nothing is stored', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const l = layer([{ name: 'f', data: 'x' }]);
  const [chainId] = chainIds([l.diffId]) as [string];
  const source = new Readable({ read() {} });
  source.push(l.blob);
  setTimeout(() => source.destroy(new InvalidContentError(`layer ${l.digest}: digest mismatch`)), 50);
  await t.throwsAsync(store.applyLayer({ chainId, diffIdExpected: l.diffId, digest: l.digest, mediaType: OCI_LAYER_GZIP, compressedSize: l.blob.length, source, lowerChainIds: [] }), { instanceOf: InvalidContentError, message: /digest mismatch/ });
  t.false(store.hasLayer(chainId));
});

test('concurrent stores (separate lock descriptors) apply a shared layer once', async (t) => {
  const root = storeRoot(t);
  const a = await openStore(root, direct);
  const b = await openStore(root, direct);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const l = layer([{ name: 'shared', data: 'once' }]);
  const [chainId] = chainIds([l.diffId]) as [string];
  let fetches = 0;
  const results = await Promise.all([apply(a, l, chainId, [], () => fetches++), apply(b, l, chainId, [], () => fetches++)]);
  t.is(fetches, 1);
  t.deepEqual(results.map((r) => r.status).sort(), ['applied', 'exists']);
});

test('upper layers see lower layers (hardlink copy) and require them to be stored', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const base = layer([{ name: 'bin/busybox', data: 'BB', mode: 0o755 }]);
  const top = layer([{ name: 'bin/sh', type: '1', linkname: 'bin/busybox' }]);
  const [baseId, topId] = chainIds([base.diffId, top.diffId]) as [string, string];
  await t.throwsAsync(apply(store, top, topId, [baseId]), { instanceOf: NotFoundError });
  await apply(store, base, baseId);
  await apply(store, top, topId, [baseId]);
  t.is(readFileSync(join(store.layerDiffPath(topId), 'bin', 'sh'), 'utf8'), 'BB');
});

test('opening the store sweeps leftovers of dead processes but not of live ones', async (t) => {
  const root = storeRoot(t);
  (await openStore(root, direct)).close();
  const dead = join(root, 'tmp', 'proc-999999-dead');
  mkdirSync(join(dead, 'layer-x', 'diff', 'etc'), { recursive: true });
  writeFileSync(join(dead, 'lock'), '');
  writeFileSync(join(root, 'tmp', 'stray.tmp'), 'x');
  const live = join(root, 'tmp', 'proc-1-live');
  mkdirSync(live);
  const lock = tryLockFile(join(live, 'lock'))!;
  t.teardown(() => lock.release());
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const left = tmpEntries(root);
  t.false(left.includes('proc-999999-dead'));
  t.false(left.includes('stray.tmp'));
  t.true(left.includes('proc-1-live'));
});

test('a staging dir whose lock file is already gone is left to the process removing it', async (t) => {
  const root = storeRoot(t);
  (await openStore(root, direct)).close();
  // What Store.close leaves for an instant: the lock file deleted, the directory not yet. A sweep that
  // recreated the lock file there (to try it) made the owner's rmdir fail with ENOTEMPTY.
  const closing = join(root, 'tmp', 'proc-2-closing');
  mkdirSync(join(closing, 'layer-x'), { recursive: true });
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  t.deepEqual(readdirSync(closing), ['layer-x']);
});

test('kill -9 during a layer extraction leaves no visible layer; the next open sweeps the staging', async (t) => {
  const root = storeRoot(t);
  (await openStore(root, direct)).close();
  const l = layer([{ name: 'big', data: Buffer.alloc(256 * 1024, 7) }, { name: 'after', data: 'never' }]);
  const chainId = sha256('crash');
  const partial = join(root, '..', 'partial.tar');
  writeFileSync(partial, l.tar.subarray(0, 200 * 1024));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), new URL('./_crash-child.ts', import.meta.url).pathname, root, chainId, l.digest, partial], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('staging') && resolve());
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  t.false(store.hasLayer(chainId));
  t.deepEqual(readdirSync(join(root, 'layers')).filter((n) => !n.endsWith('.lock')), []);
  t.is(tmpEntries(root).length, 1, 'only this process staging dir remains');
});

test('images: names index, tags move, rmi removes only unreferenced layers, holds protect, prune and usage', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  const base = layer([{ name: 'base', data: 'b' }]);
  const app = layer([{ name: 'app', data: 'a' }]);
  const [baseId, appId] = chainIds([base.diffId, app.diffId]) as [string, string];
  await apply(store, base, baseId);
  await apply(store, app, appId, [baseId]);
  const blobs = (label: string) => {
    const manifest = Buffer.from(`{"manifest":"${label}"}`);
    const config = Buffer.from(`{"config":"${label}"}`);
    store.putBlob(sha256(manifest), manifest);
    store.putBlob(sha256(config), config);
    return { manifestDigest: sha256(manifest), configDigest: sha256(config), id: sha256(config) };
  };
  const image = (label: string, layers: string[], names: string[]): ImageRecord => ({ ...blobs(label), layers, names, created: '2024-01-01T00:00:00Z', platform: { os: 'linux', architecture: 'amd64' }, size: 1 });
  const baseImage = image('base', [baseId], ['localhost/base:1']);
  const appImage = image('app', [baseId, appId], ['localhost/app:1', 'localhost/app:latest']);
  await t.throwsAsync(store.putImage(image('broken', [sha256('missing')], [])), { instanceOf: NotFoundError });
  await store.putImage(baseImage);
  await store.putImage(appImage);
  t.is(store.resolveName('localhost/app:latest'), appImage.id);
  t.deepEqual(store.getImage(appImage.id)?.names, ['localhost/app:1', 'localhost/app:latest']);
  await store.tagImage(baseImage.id, 'localhost/app:latest');
  t.deepEqual(store.getImage(appImage.id)?.names, ['localhost/app:1']);
  t.is(await store.untagImage('localhost/app:latest'), baseImage.id);
  t.is(store.listImages().length, 2);
  const usage = store.usage();
  t.is(usage.layers.count, 2);
  t.is(usage.blobs.count, 6, 'the refused image stored its blobs before failing');
  t.true(usage.layers.bytes > 0);

  const hold = store.holdLayers([appId]);
  t.deepEqual((await store.removeImage(appImage.id)).removedLayers, [], 'held layer and shared base survive');
  t.true(store.hasLayer(appId));
  hold.release();
  t.deepEqual((await store.prune()).removedLayers, [appId]);
  t.false(existsSync(join(root, 'layers', appId.slice(7))));
  t.true(store.hasLayer(baseId));
  t.deepEqual((await store.removeImage(baseImage.id)).removedLayers, [baseId]);
  t.deepEqual(store.listImages(), []);
  await t.throwsAsync(store.removeImage(baseImage.id), { instanceOf: NotFoundError });
});

const rootless = spawnSync('id', ['-u', 'hutch-test']).stdout?.toString().trim() === '1001' && process.getuid?.() === 0;
if (!rootless) console.warn('SKIP rootless store test: needs root to switch to the hutch-test user');

(rootless ? test : test.skip)('rootless (hutch-test): layer files get subordinate owners; prune removes them through the user namespace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-rootless-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  chownSync(dir, 1001, 1001);
  const l = layer([{ name: 'home/user/', type: '5', uid: 1000, gid: 1000, mode: 0o700 }, { name: 'home/user/file', data: 'x', uid: 1000, gid: 1000, mode: 0o4750 }]);
  const [chainId] = chainIds([l.diffId]) as [string];
  const child = spawnSync('runuser', ['-u', 'hutch-test', '--', process.execPath, '--import', import.meta.resolve('tsx'), new URL('./_rootless-child.ts', import.meta.url).pathname, join(dir, 'root'), chainId, l.diffId, l.digest, l.blob.toString('base64')], { encoding: 'utf8' });
  t.is(child.status, 0, child.stderr);
  t.deepEqual(JSON.parse(child.stdout), { uid: 100999, gid: 100999, mode: 0o700, removedLayers: [chainId] });
  t.deepEqual(readdirSync(join(dir, 'root', 'layers')).filter((n) => !n.endsWith('.lock')), []);
});

test('clearSeccompCache empties the program cache and counts the programs', async (t) => {
  const root = storeRoot(t);
  const store = await openStore(root, direct);
  t.teardown(() => store.close());
  t.is(store.clearSeccompCache(), 0, 'no cache directory yet');
  mkdirSync(store.seccompCacheDir, { mode: 0o700 });
  for (const name of ['0123456789abcdef.bpf', 'fedcba9876543210.bpf', '.tmp-1234']) writeFileSync(join(store.seccompCacheDir, name), 'x');
  t.is(store.clearSeccompCache(), 2);
  t.deepEqual(readdirSync(store.seccompCacheDir), []);
});
