// `images`, `image inspect`, `tag`, `rmi`, `image prune` and `system df` on
// images pulled from a real registry, as the unprivileged test user.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { buildImage, type BuiltImage } from '../helpers/image-builder.js';
import { hutch, makeStore, type HutchStore } from '../helpers/installed-cli.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const test = anyTest as TestFn<{ registry: TestRegistry; app: BuiltImage; tool: BuiltImage }>;

test.before(async (t) => {
  t.context.registry = await startRegistry();
  const base = { compression: 'gzip' as const, entries: [{ type: 'dir' as const, path: 'etc' }, { type: 'file' as const, path: 'etc/base', content: 'base'.repeat(1000) }] };
  t.context.app = await buildImage({ layers: [base, { entries: [{ type: 'file', path: 'app', content: 'app' }] }], config: { Cmd: ['/app'], Env: ['A=1'], WorkingDir: '/w', User: '1000', Labels: { l: 'v' } } });
  t.context.tool = await buildImage({ layers: [base, { entries: [{ type: 'file', path: 'tool', content: 'tool' }] }] });
  await pushImage(t.context.registry, 'img/app', 'v1', t.context.app);
  await pushImage(t.context.registry, 'img/tool', 'v1', t.context.tool);
});
test.after.always(async (t) => {
  await t.context.registry?.stop();
});

const hex = (digest: string) => digest.slice('sha256:'.length);

async function pulled(t: { context: { registry: TestRegistry }; teardown(fn: () => Promise<void>): void; is(a: unknown, b: unknown, m?: string): void }, ...names: string[]): Promise<HutchStore> {
  const store = await makeStore();
  t.teardown(() => store.remove());
  for (const name of names) {
    const result = await hutch(['pull', '-q', `${t.context.registry.host}/${name}`], { store });
    t.is(result.exitCode, 0, result.stderr);
  }
  return store;
}

async function layerCount(store: HutchStore): Promise<number> {
  return (await readdir(join(store.root, 'layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n)).length;
}

test('images: table, -q, --digests, --format json and a template', async (t) => {
  const { registry, app, tool } = t.context;
  const store = await pulled(t, 'img/app:v1', 'img/tool:v1');
  const table = await hutch(['images'], { store });
  t.is(table.exitCode, 0, table.stderr);
  t.regex(table.stdout, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE/);
  t.regex(table.stdout, new RegExp(`${registry.host}/img/app\\s+v1\\s+${hex(app.configDigest).slice(0, 12)}`));
  const quiet = await hutch(['images', '-q'], { store });
  t.deepEqual(quiet.stdout.trim().split('\n').sort(), [hex(app.configDigest).slice(0, 12), hex(tool.configDigest).slice(0, 12)].sort());
  const digests = await hutch(['images', '--digests'], { store });
  t.regex(digests.stdout, /DIGEST/);
  t.true(digests.stdout.includes(app.manifestDigest));
  const json = JSON.parse((await hutch(['images', '--format', 'json'], { store })).stdout) as { Id: string; Names: string[]; Digest: string; Size: number }[];
  const row = json.find((r) => r.Id.includes(hex(app.configDigest)));
  t.truthy(row);
  t.deepEqual(row!.Names, [`${registry.host}/img/app:v1`]);
  t.is(row!.Digest, app.manifestDigest);
  t.true(row!.Size > 4000);
  const template = await hutch(['images', '--format', '{{.ID}} {{.Repository}}'], { store });
  t.true(template.stdout.split('\n').includes(`${hex(tool.configDigest).slice(0, 12)} ${registry.host}/img/tool`));
});

test('image inspect shows podman-like fields', async (t) => {
  const { registry, app } = t.context;
  const store = await pulled(t, 'img/app:v1');
  const result = await hutch(['image', 'inspect', `${registry.host}/img/app:v1`], { store });
  t.is(result.exitCode, 0, result.stderr);
  const [doc] = JSON.parse(result.stdout) as Record<string, any>[];
  t.is(doc!.Id, hex(app.configDigest));
  t.is(doc!.Digest, app.manifestDigest);
  t.deepEqual(doc!.RepoTags, [`${registry.host}/img/app:v1`]);
  t.deepEqual(doc!.RepoDigests, [`${registry.host}/img/app@${app.manifestDigest}`]);
  t.deepEqual(doc!.Config.Cmd, ['/app']);
  t.true(doc!.Config.Env.includes('A=1'));
  t.is(doc!.Config.WorkingDir, '/w');
  t.is(doc!.Config.User, '1000');
  t.deepEqual(doc!.RootFS, { Type: 'layers', Layers: app.layers.map((l) => l.diffId) });
  t.is(doc!.Os, 'linux');
  t.regex(doc!.GraphDriver.Data.UpperDir, /\/layers\/[a-f0-9]{64}\/diff$/);
  const missing = await hutch(['image', 'inspect', 'nosuch:image'], { store });
  t.is(missing.exitCode, 125);
  t.regex(missing.stderr, /nosuch/);
});

test('tag adds a name; rmi by name untags; rmi by ID needs -f when the image has several names', async (t) => {
  const { registry, app } = t.context;
  const store = await pulled(t, 'img/app:v1', 'img/tool:v1');
  const tag = await hutch(['tag', `${registry.host}/img/app:v1`, 'localhost/mine:2'], { store });
  t.is(tag.exitCode, 0, tag.stderr);
  const names = (await hutch(['images', '--format', '{{.Repository}}:{{.Tag}}'], { store })).stdout.trim().split('\n').sort();
  t.deepEqual(names, [`${registry.host}/img/app:v1`, `${registry.host}/img/tool:v1`, 'localhost/mine:2'].sort());
  const byId = await hutch(['rmi', hex(app.configDigest).slice(0, 12)], { store });
  t.is(byId.exitCode, 125);
  t.regex(byId.stderr, /several names/);
  const untag = await hutch(['rmi', 'localhost/mine:2'], { store });
  t.is(untag.exitCode, 0, untag.stderr);
  t.regex(untag.stdout, /Untagged: localhost\/mine:2/);
  t.is(await layerCount(store), 3);
  t.is((await hutch(['tag', `${registry.host}/img/app:v1`, 'localhost/mine:3'], { store })).exitCode, 0);
  const forced = await hutch(['rmi', '-f', hex(app.configDigest)], { store });
  t.is(forced.exitCode, 0, forced.stderr);
  t.regex(forced.stdout, new RegExp(`Deleted: ${hex(app.configDigest)}`));
  t.is((await hutch(['images', '-q'], { store })).stdout.trim().split('\n').length, 1);
  // The shared base layer stays for the other image; the app's own layer is gone.
  t.is(await layerCount(store), 2);
});

test('image prune removes unnamed images; system df accounts images, layers and space', async (t) => {
  const { registry, tool } = t.context;
  const store = await pulled(t, 'img/app:v1', 'img/tool:v1');
  const before = await hutch(['system', 'df'], { store });
  t.is(before.exitCode, 0, before.stderr);
  t.regex(before.stdout, /Images\s+2/);
  // Moving tool's only name onto app leaves the tool image without a name: dangling, as in podman.
  t.is((await hutch(['tag', `${registry.host}/img/app:v1`, `${registry.host}/img/tool:v1`], { store })).exitCode, 0);
  t.is((await hutch(['images', '--format', '{{.Repository}}'], { store })).stdout.split('\n').filter((l) => l.includes('<none>')).length, 1);
  const prune = await hutch(['image', 'prune'], { store });
  t.is(prune.exitCode, 0, prune.stderr);
  t.regex(prune.stdout, new RegExp(hex(tool.configDigest)));
  t.is((await hutch(['images', '-q'], { store })).stdout.trim().split('\n').length, 1);
  t.is(await layerCount(store), 2);
  const after = await hutch(['system', 'df'], { store });
  t.regex(after.stdout, /Images\s+1/);
});
