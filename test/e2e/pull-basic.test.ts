// `hutch pull` from a real docker-registry, as the unprivileged test user:
// references by tag, digest and both; OCI and Docker schema 2; every layer
// compression; output modes; a second pull that costs no manifest GET; a base
// layer shared by two images stored once.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { buildImage, type BuiltImage, type ImageFormat, type LayerSpec } from '../helpers/image-builder.js';
import { hutch, makeStore } from '../helpers/installed-cli.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { startRegistryProxy } from './_pull-proxy.js';

const test = anyTest as TestFn<{ registry: TestRegistry }>;

test.before(async (t) => {
  t.context.registry = await startRegistry();
});
test.after.always(async (t) => {
  await t.context.registry?.stop();
});

const BASE: LayerSpec = {
  compression: 'gzip',
  entries: [
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/os-release', content: 'ID=hutch-test\n' },
  ],
};

async function image(format: ImageFormat, top: LayerSpec): Promise<BuiltImage> {
  return buildImage({ format, layers: [BASE, top], config: { Cmd: ['/bin/sh'] } });
}

const hex = (digest: string) => digest.slice('sha256:'.length);

async function layerDirs(root: string): Promise<string[]> {
  return (await readdir(join(root, 'layers'))).filter((name) => /^[a-f0-9]{64}$/.test(name));
}

for (const format of ['oci', 'docker'] as const) {
  for (const compression of ['gzip', 'zstd', 'none'] as const) {
    test(`pull by tag: ${format} manifest, ${compression} layer`, async (t) => {
      const { registry } = t.context;
      const built = await image(format, { compression, entries: [{ type: 'file', path: `${compression}.txt`, content: compression }] });
      await pushImage(registry, `basic/${format}-${compression}`, 'v1', built);
      const store = await makeStore();
      t.teardown(() => store.remove());
      const result = await hutch(['pull', `${registry.host}/basic/${format}-${compression}:v1`], { store });
      t.is(result.exitCode, 0, result.stderr);
      t.is(result.stdout, `${hex(built.configDigest)}\n`);
      const listed = await hutch(['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'], { store });
      t.is(listed.stdout.trim(), `${hex(built.configDigest).slice(0, 12)} ${registry.host}/basic/${format}-${compression}:v1`);
      t.is((await layerDirs(store.root)).length, 2);
    });
  }
}

test('pull by digest and by tag+digest; the image is named only when a tag was given', async (t) => {
  const { registry } = t.context;
  const built = await image('oci', { entries: [{ type: 'file', path: 'by-digest', content: 'd' }] });
  await pushImage(registry, 'basic/digest', 'v1', built);
  const store = await makeStore();
  t.teardown(() => store.remove());
  const byDigest = await hutch(['pull', '-q', `${registry.host}/basic/digest@${built.manifestDigest}`], { store });
  t.is(byDigest.exitCode, 0, byDigest.stderr);
  t.is(byDigest.stdout, `${hex(built.configDigest)}\n`);
  const both = await hutch(['pull', '-q', `${registry.host}/basic/digest:v1@${built.manifestDigest}`], { store });
  t.is(both.exitCode, 0, both.stderr);
  const json = JSON.parse((await hutch(['images', '--format', 'json'], { store })).stdout) as { Id: string; Names: string[]; Digest: string }[];
  t.is(json.length, 1, JSON.stringify(json));
  t.is(json[0]!.Digest, built.manifestDigest);
  t.true(json[0]!.Names.includes(`${registry.host}/basic/digest:v1`));
});

test('a wrong digest in the reference is refused: exit 125 naming the digest, nothing stored', async (t) => {
  const { registry } = t.context;
  const built = await image('oci', { entries: [{ type: 'file', path: 'x', content: 'x' }] });
  await pushImage(registry, 'basic/wrongdigest', 'v1', built);
  const wrong = `sha256:${'0'.repeat(64)}`;
  const store = await makeStore();
  t.teardown(() => store.remove());
  const result = await hutch(['pull', `${registry.host}/basic/wrongdigest@${wrong}`], { store });
  t.is(result.exitCode, 125);
  t.regex(result.stderr, /0{64}|not found|unknown/i);
  t.is((await hutch(['images', '-q'], { store })).stdout, '');
});

test('-q prints only the ID; without a terminal the progress is plain lines on stderr', async (t) => {
  const { registry } = t.context;
  const built = await image('oci', { entries: [{ type: 'file', path: 'quiet', content: 'q' }] });
  await pushImage(registry, 'basic/quiet', 'v1', built);
  const quietStore = await makeStore();
  t.teardown(() => quietStore.remove());
  const quiet = await hutch(['pull', '-q', `${registry.host}/basic/quiet:v1`], { store: quietStore });
  t.is(quiet.exitCode, 0, quiet.stderr);
  t.is(quiet.stdout, `${hex(built.configDigest)}\n`);
  t.is(quiet.stderr, '');
  const plainStore = await makeStore();
  t.teardown(() => plainStore.remove());
  const plain = await hutch(['pull', `${registry.host}/basic/quiet:v1`], { store: plainStore });
  t.is(plain.exitCode, 0, plain.stderr);
  t.is(plain.stdout, `${hex(built.configDigest)}\n`);
  // No terminal: no escape sequences, no carriage returns, one line per event.
  t.notRegex(plain.stderr, /\x1b|\r/);
  for (const layer of built.layers) t.regex(plain.stderr, new RegExp(`Copying blob sha256:${hex(layer.digest).slice(0, 12)}`));
  t.regex(plain.stderr, /Writing manifest/);
});

test('a second pull of the same image makes no manifest GET and reports the layers as existing', async (t) => {
  const { registry } = t.context;
  const built = await image('oci', { entries: [{ type: 'file', path: 'again', content: 'a' }] });
  await pushImage(registry, 'basic/again', 'v1', built);
  const proxy = await startRegistryProxy(registry.url);
  t.teardown(() => proxy.stop());
  const store = await makeStore();
  t.teardown(() => store.remove());
  const first = await hutch(['pull', `${proxy.host}/basic/again:v1`], { store });
  t.is(first.exitCode, 0, first.stderr);
  t.true(proxy.requests.some((r) => r.startsWith('GET /v2/basic/again/manifests/')));
  proxy.requests.length = 0;
  const second = await hutch(['pull', `${proxy.host}/basic/again:v1`], { store });
  t.is(second.exitCode, 0, second.stderr);
  t.deepEqual(proxy.requests.filter((r) => r.startsWith('GET /v2/basic/again/manifests/')), []);
  t.deepEqual(proxy.requests.filter((r) => r.includes('/blobs/')), []);
  t.true(proxy.requests.some((r) => r.startsWith('HEAD /v2/basic/again/manifests/v1')));
  for (const layer of built.layers) t.regex(second.stderr, new RegExp(`${hex(layer.digest).slice(0, 12)} skipped: already exists`));
});

test('two images sharing a base layer store it once', async (t) => {
  const { registry } = t.context;
  const one = await image('oci', { entries: [{ type: 'file', path: 'one', content: '1' }] });
  const two = await image('docker', { entries: [{ type: 'file', path: 'two', content: '2' }] });
  t.is(one.layers[0]!.diffId, two.layers[0]!.diffId);
  await pushImage(registry, 'basic/one', 'v1', one);
  await pushImage(registry, 'basic/two', 'v1', two);
  const store = await makeStore();
  t.teardown(() => store.remove());
  t.is((await hutch(['pull', '-q', `${registry.host}/basic/one:v1`], { store })).exitCode, 0);
  const second = await hutch(['pull', `${registry.host}/basic/two:v1`], { store });
  t.is(second.exitCode, 0, second.stderr);
  t.regex(second.stderr, new RegExp(`${hex(two.layers[0]!.digest).slice(0, 12)} skipped: already exists`));
  t.is((await layerDirs(store.root)).length, 3);
  t.is((await hutch(['images', '-q'], { store })).stdout.trim().split('\n').length, 2);
});
