// Hostile images pulled from an OCI layout as the test user: each must fail
// with exit 125 and a message naming the layer digest (and entry), store no
// image, and write nothing outside the storage root (a sentinel stays intact).
import { appendFile, chown, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { MEDIA_TYPES, buildImage, writeOciLayout, type BuiltImage, type ImageSpec } from '../helpers/image-builder.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry } from '../helpers/registry.js';
import { startRegistryProxy } from './_pull-proxy.js';
import { hutch, makeStore } from '../helpers/installed-cli.js';
import { makeTestUserDir, switchesUser, testUser } from '../helpers/test-user.js';

interface Attack {
  title: string;
  spec: (sentinelDir: string) => ImageSpec;
  /** Damages the written layout (blob files) after the fact. */
  damage?: (layout: string, image: BuiltImage) => Promise<void>;
  message: (image: BuiltImage) => RegExp;
}

const raw = (name: string, typeflag: string, extra: { linkname?: string; content?: Buffer } = {}) => ({ type: 'raw' as const, record: { name, typeflag, ...extra } });
const layerPath = (layout: string, digest: string) => join(layout, 'blobs', 'sha256', digest.slice(7));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const entryError = (entry: string) => (image: BuiltImage) => new RegExp(`layer ${image.layers.at(-1)!.digest}: entry \`${esc(entry)}\``);

// Incompressible content, so that half of the compressed blob is half of the data.
const NOISE = randomBytes(200_000).toString('base64');
const half = (blob: Buffer) => blob.subarray(0, Math.floor(blob.length / 2));

/** A tar of one 300 MiB file of zeros as concatenated gzip members: about 300 KB, ratio about 1000. */
function zeroBomb(): Buffer {
  const size = 300 * 1024 * 1024;
  const header = Buffer.alloc(512);
  header.write('zeros', 0, 'latin1');
  header.write('0000644\0', 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  header.write('00000000000\0', 136, 'latin1');
  header.write('0', 156, 'latin1');
  header.write('ustar\u000000', 257, 'latin1');
  header.write('        ', 148, 'latin1');
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  const chunk = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  return Buffer.concat([gzipSync(header), ...Array.from({ length: size / (16 * 1024 * 1024) }, () => chunk)]);
}

const ATTACKS: Attack[] = [
  { title: '`..` entry name', spec: () => ({ layers: [{ entries: [raw('../escape', '0', { content: Buffer.from('x') })] }] }), message: entryError('../escape') },
  {
    title: 'symlink then write through it',
    spec: (dir) => ({ layers: [{ entries: [raw('evil', '2', { linkname: dir }), raw('evil/pwned', '0', { content: Buffer.from('x') })] }] }),
    message: entryError('evil/pwned'),
  },
  {
    title: 'symlink to a parent, then write through it',
    spec: () => ({ layers: [{ entries: [raw('up', '2', { linkname: '../../../..' }), raw('up/tmp/pwned', '0', { content: Buffer.from('x') })] }] }),
    message: entryError('up/tmp/pwned'),
  },
  { title: 'hardlink to outside', spec: () => ({ layers: [{ entries: [raw('h', '1', { linkname: '../../../../etc/passwd' })] }] }), message: entryError('h') },
  {
    title: 'hardlink via a symlink',
    spec: () => ({ layers: [{ entries: [raw('s', '2', { linkname: '/etc' }), raw('h', '1', { linkname: 's/passwd' })] }] }),
    message: entryError('h'),
  },
  { title: 'malformed whiteout `.wh.`', spec: () => ({ layers: [{ entries: [raw('dir/.wh.', '0')] }] }), message: entryError('dir/.wh.') },
  { title: 'traversing whiteout `.wh..`', spec: () => ({ layers: [{ entries: [raw('.wh..', '0')] }] }), message: entryError('.wh..') },
  {
    title: 'wrong diff_ids',
    spec: () => ({ layers: [{ entries: [{ type: 'file', path: 'f', content: 'x' }] }], configOverrides: { rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`] } } }),
    message: (image) => new RegExp(`layer ${image.layers[0]!.digest}.*diff_id`),
  },
  {
    title: 'layer media type contradicting its magic bytes',
    spec: () => ({ layers: [{ compression: 'gzip', mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', entries: [{ type: 'file', path: 'f', content: 'x' }] }] }),
    message: (image) => new RegExp(`layer ${image.layers[0]!.digest}.*zstd`),
  },
  {
    title: 'corrupt blob (digest mismatch)',
    spec: () => ({ layers: [{ entries: [{ type: 'file', path: 'f', content: 'x'.repeat(5000) }] }] }),
    damage: async (layout, image) => {
      const path = layerPath(layout, image.layers[0]!.digest);
      const bytes = await readFile(path);
      bytes[bytes.length - 10] ^= 0xff;
      await writeFile(path, bytes);
    },
    message: (image) => new RegExp(esc(image.layers[0]!.digest)),
  },
  {
    title: 'blob longer than its descriptor (size mismatch)',
    spec: () => ({ layers: [{ entries: [{ type: 'file', path: 'f', content: 'y'.repeat(5000) }] }] }),
    damage: (layout, image) => appendFile(layerPath(layout, image.layers[0]!.digest), Buffer.alloc(100)),
    message: (image) => new RegExp(esc(image.layers[0]!.digest)),
  },
  {
    title: 'truncated gzip layer (its digest matches the cut blob)',
    spec: () => ({ layers: [{ compression: 'gzip', entries: [{ type: 'file', path: 'f', content: NOISE }], blob: half }] }),
    message: (image) => new RegExp(`layer ${image.layers[0]!.digest}: cannot read the layer data: truncated gzip`),
  },
  {
    title: 'truncated zstd layer (its digest matches the cut blob)',
    spec: () => ({ layers: [{ compression: 'zstd', entries: [{ type: 'file', path: 'f', content: NOISE }], blob: half }] }),
    message: (image) => new RegExp(`layer ${image.layers[0]!.digest}: cannot read the layer data: truncated zstd`),
  },
  {
    title: 'decompression bomb (300 MiB of zeros in a few hundred KB of gzip)',
    spec: () => ({ layers: [{ compression: 'gzip', entries: [], blob: zeroBomb }] }),
    message: (image) => new RegExp(`layer ${image.layers[0]!.digest}: uncompressed size exceeds 200 times the compressed size`),
  },
  {
    title: 'a manifest larger than 4 MiB',
    spec: () => ({ layers: [{ entries: [{ type: 'file', path: 'f', content: 'x' }] }], manifestOverrides: { annotations: { padding: 'p'.repeat(4 * 1024 * 1024) } } }),
    message: (image) => new RegExp(`manifest ${image.manifestDigest}.*4194304`),
  },
  {
    title: 'a manifest that is also an index',
    spec: () => ({ layers: [{ entries: [{ type: 'file', path: 'f', content: 'x' }] }], manifestOverrides: { manifests: [] } }),
    message: () => /index|manifests/i,
  },
];

for (const attack of ATTACKS) {
  test(`bad input: ${attack.title} → exit 125, clear error, nothing stored, nothing outside the store`, async (t) => {
    const work = await makeTestUserDir('hutch-e2e-bad-');
    const sentinelDir = join(work, 'sentinel');
    const store = await makeStore();
    t.teardown(() => store.remove());
    const image = await buildImage(attack.spec(sentinelDir));
    const layout = join(work, 'layout');
    await writeOciLayout(layout, image, 'latest');
    await attack.damage?.(layout, image);
    await writeFile(join(work, 'sentinel-file'), 'untouched');
    if (switchesUser()) {
      const { uid, gid } = testUser();
      for (const path of [layout, join(layout, 'blobs'), join(layout, 'blobs', 'sha256')]) await chown(path, uid, gid);
    }
    const before = (await readdir(work)).sort();
    const result = await hutch(['pull', `oci:${layout}:latest`], { store });
    t.is(result.exitCode, 125, result.stderr);
    t.regex(result.stderr, attack.message(image));
    t.is((await hutch(['images', '-q'], { store })).stdout, '');
    t.deepEqual((await readdir(work)).sort(), before);
    t.is(await readFile(join(work, 'sentinel-file'), 'utf8'), 'untouched');
    const layers = (await readdir(join(store.root, 'layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n));
    t.deepEqual(layers, []);
  });
}

test('absolute entry names stay inside the layer (made relative, as containers/storage does)', async (t) => {
  const work = await makeTestUserDir('hutch-e2e-abs-');
  const store = await makeStore();
  t.teardown(() => store.remove());
  const image = await buildImage({ layers: [{ entries: [raw(`${work}/abs-pwned`, '0', { content: Buffer.from('x') })] }] });
  const layout = join(work, 'layout');
  await writeOciLayout(layout, image, 'latest');
  if (switchesUser()) for (const path of [layout, join(layout, 'blobs'), join(layout, 'blobs', 'sha256')]) await chown(path, testUser().uid, testUser().gid);
  const result = await hutch(['pull', '-q', `oci:${layout}:latest`], { store });
  t.is(result.exitCode, 0, result.stderr);
  t.false((await readdir(work)).includes('abs-pwned'));
});

test('a whiteout below a lower layer\'s symlink to the outside stays in the layer: the pull works and touches nothing outside', async (t) => {
  const work = await makeTestUserDir('hutch-e2e-wh-');
  const sentinelDir = join(work, 'sentinel');
  await mkdir(sentinelDir);
  await writeFile(join(sentinelDir, 'keep'), 'untouched');
  if (switchesUser()) await chown(join(sentinelDir, 'keep'), testUser().uid, testUser().gid);
  const store = await makeStore();
  t.teardown(() => store.remove());
  const image = await buildImage({
    layers: [{ entries: [raw('link', '2', { linkname: sentinelDir })] }, { entries: [raw('link/.wh.keep', '0')] }],
  });
  const layout = join(work, 'layout');
  await writeOciLayout(layout, image, 'latest');
  if (switchesUser()) for (const path of [layout, join(layout, 'blobs'), join(layout, 'blobs', 'sha256')]) await chown(path, testUser().uid, testUser().gid);
  const result = await hutch(['pull', '-q', `oci:${layout}:latest`], { store });
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(await readdir(sentinelDir), ['keep']);
  t.is(await readFile(join(sentinelDir, 'keep'), 'utf8'), 'untouched');
  const layers = (await readdir(join(store.root, 'layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n));
  t.is(layers.length, 2);
});

test('a manifest served with a Content-Type that contradicts its body\'s mediaType is refused', async (t) => {
  const registry = await startRegistry();
  t.teardown(() => registry.stop());
  const image = await buildImage({ layers: [{ entries: [{ type: 'file', path: 'f', content: 'x' }] }] });
  await pushImage(registry, 'bad/ctype', 'v1', image);
  const proxy = await startRegistryProxy(registry.url, (res) =>
    res.method === 'GET' && res.path.includes('/manifests/') ? { ...res, headers: { ...res.headers, 'content-type': MEDIA_TYPES.oci.index } } : undefined,
  );
  t.teardown(() => proxy.stop());
  const store = await makeStore();
  t.teardown(() => store.remove());
  const result = await hutch(['pull', `${proxy.host}/bad/ctype:v1`], { store });
  t.is(result.exitCode, 125, result.stderr);
  t.regex(result.stderr, /contradicts the response Content-Type/);
  t.is((await hutch(['images', '-q'], { store })).stdout, '');
});
