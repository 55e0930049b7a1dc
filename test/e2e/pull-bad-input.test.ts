// Hostile images pulled from an OCI layout as the test user: each must fail
// with exit 125 and a message naming the layer digest (and entry), store no
// image, and write nothing outside the storage root (a sentinel stays intact).
import { appendFile, readFile, readdir, writeFile, chown } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { buildImage, writeOciLayout, type BuiltImage, type ImageSpec } from '../helpers/image-builder.js';
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
