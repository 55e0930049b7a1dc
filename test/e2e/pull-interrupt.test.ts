// Crash safety and concurrency of `hutch pull`: Ctrl-C and kill -9 mid-layer
// leave nothing visible and the next pull works; two pulls of overlapping
// images at once keep the store consistent and apply the shared layer once.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { buildImage, type BuiltImage } from '../helpers/image-builder.js';
import { hutch, makeStore, spawnHutch, type HutchStore } from '../helpers/installed-cli.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { startRegistryProxy, type RegistryProxy } from './_pull-proxy.js';

const test = anyTest as TestFn<{ registry: TestRegistry; big: BuiltImage }>;

test.before(async (t) => {
  t.context.registry = await startRegistry();
  // 50 MB of random data: incompressible, so the download takes a while on loopback too.
  t.context.big = await buildImage({ layers: [{ compression: 'gzip', entries: [{ type: 'file', path: 'big', content: randomBytes(50 * 1024 * 1024) }] }] });
  await pushImage(t.context.registry, 'crash/big', 'v1', t.context.big);
});
test.after.always(async (t) => {
  await t.context.registry?.stop();
});

async function completeLayers(store: HutchStore): Promise<string[]> {
  const names = await readdir(join(store.root, 'layers')).catch(() => [] as string[]);
  return names.filter((n) => /^[a-f0-9]{64}$/.test(n));
}

/** Resolves once the proxy has seen the layer's GET start (the pull is mid-layer). */
async function blobRequested(proxy: RegistryProxy, digest: string): Promise<void> {
  while (!proxy.requests.some((r) => r.startsWith('GET') && r.includes(digest))) await new Promise((resolve) => setTimeout(resolve, 20));
}

for (const signal of ['SIGINT', 'SIGKILL'] as const) {
  test(`${signal} mid-pull of a large layer: nothing visible, the next pull succeeds, prune leaves tmp/ empty`, async (t) => {
    const { registry, big } = t.context;
    const layer = big.layers[0]!.digest;
    // The proxy buffers each response before sending it, which keeps the layer GET open long enough to interrupt.
    const proxy = await startRegistryProxy(registry.url);
    t.teardown(() => proxy.stop());
    const store = await makeStore();
    t.teardown(() => store.remove());
    const { subprocess } = await spawnHutch(['pull', `${proxy.host}/crash/big:v1`], { store });
    await blobRequested(proxy, layer);
    subprocess.kill(signal);
    const result = await subprocess;
    if (signal === 'SIGINT') {
      t.is(result.exitCode, 130, String(result.stderr));
    } else t.is(result.signal, 'SIGKILL');
    t.deepEqual(await completeLayers(store), []);
    t.is((await hutch(['images', '-q'], { store })).stdout, '');
    const again = await hutch(['pull', '-q', `${registry.host}/crash/big:v1`], { store });
    t.is(again.exitCode, 0, again.stderr);
    t.is(again.stdout, `${big.configDigest.slice(7)}\n`);
    t.is((await hutch(['system', 'prune', '-f'], { store })).exitCode, 0);
    t.deepEqual(await readdir(join(store.root, 'tmp')), []);
  });
}

test('two concurrent pulls of overlapping images: consistent store, the shared layer applied once', async (t) => {
  const { registry } = t.context;
  const shared = { compression: 'gzip' as const, entries: [{ type: 'file' as const, path: 'shared', content: randomBytes(8 * 1024 * 1024) }] };
  const a = await buildImage({ layers: [shared, { entries: [{ type: 'file', path: 'a', content: 'a' }] }] });
  const b = await buildImage({ layers: [shared, { entries: [{ type: 'file', path: 'b', content: 'b' }] }] });
  await pushImage(registry, 'crash/a', 'v1', a);
  await pushImage(registry, 'crash/b', 'v1', b);
  const proxy = await startRegistryProxy(registry.url);
  t.teardown(() => proxy.stop());
  const store = await makeStore();
  t.teardown(() => store.remove());
  const [ra, rb] = await Promise.all([hutch(['pull', '-q', `${proxy.host}/crash/a:v1`], { store }), hutch(['pull', '-q', `${proxy.host}/crash/b:v1`], { store })]);
  t.is(ra.exitCode, 0, ra.stderr);
  t.is(rb.exitCode, 0, rb.stderr);
  const sharedGets = proxy.requests.filter((r) => r.startsWith('GET') && r.includes(a.layers[0]!.digest));
  t.is(sharedGets.length, 1);
  t.is((await completeLayers(store)).length, 3);
  t.deepEqual((await hutch(['images', '-q'], { store })).stdout.trim().split('\n').sort(), [a.configDigest.slice(7, 19), b.configDigest.slice(7, 19)].sort());
  const tmp = await readdir(join(store.root, 'tmp'));
  t.deepEqual(tmp, []);
});
