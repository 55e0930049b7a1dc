// Indexes: the host's platform is selected, `--platform` picks another, no
// match lists what the index offers, nested indexes are followed.
import anyTest, { type TestFn } from 'ava';
import { buildImage, buildIndex, hostPlatform, type BuiltImage } from '../helpers/image-builder.js';
import { hutch, makeStore } from '../helpers/installed-cli.js';
import { pushImage } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const test = anyTest as TestFn<{ registry: TestRegistry; host: BuiltImage; other: BuiltImage; otherArch: string }>;

test.before(async (t) => {
  t.context.registry = await startRegistry();
  const host = hostPlatform();
  const otherArch = host.architecture === 'arm64' ? 'amd64' : 'arm64';
  t.context.otherArch = otherArch;
  t.context.host = await buildImage({ layers: [{ entries: [{ type: 'file', path: 'arch', content: host.architecture }] }] });
  t.context.other = await buildImage({ architecture: otherArch, layers: [{ entries: [{ type: 'file', path: 'arch', content: otherArch }] }] });
  // docker-registry refuses an index naming content it does not hold, so no unknown-media-type entry here (unit-tested).
  const index = buildIndex([t.context.other, t.context.host]);
  await pushImage(t.context.registry, 'platform/multi', 'v1', index);
  await pushImage(t.context.registry, 'platform/nested', 'v1', buildIndex([buildIndex([t.context.host], { format: 'docker' })]));
  await pushImage(t.context.registry, 'platform/foreign', 'v1', buildIndex([t.context.other]));
});
test.after.always(async (t) => {
  await t.context.registry?.stop();
});

const hex = (digest: string) => digest.slice('sha256:'.length);

test('an index selects the host platform', async (t) => {
  const { registry, host } = t.context;
  const result = await hutch(['pull', '-q', `${registry.host}/platform/multi:v1`]);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `${hex(host.configDigest)}\n`);
});

test('--platform linux/<other arch> selects the other manifest', async (t) => {
  const { registry, other, otherArch } = t.context;
  const store = await makeStore();
  t.teardown(() => store.remove());
  const result = await hutch(['pull', '-q', '--platform', `linux/${otherArch}`, `${registry.host}/platform/multi:v1`], { store });
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `${hex(other.configDigest)}\n`);
  const inspect = JSON.parse((await hutch(['image', 'inspect', hex(other.configDigest)], { store })).stdout) as { Architecture: string }[];
  t.is(inspect[0]!.Architecture, otherArch);
});

test('no matching platform: exit 125 and the error lists the platforms offered', async (t) => {
  const { registry, otherArch } = t.context;
  const store = await makeStore();
  t.teardown(() => store.remove());
  const result = await hutch(['pull', `${registry.host}/platform/foreign:v1`], { store });
  t.is(result.exitCode, 125);
  t.regex(result.stderr, new RegExp(`linux/${otherArch}`));
  t.regex(result.stderr, /platform/i);
  t.is((await hutch(['images', '-q'], { store })).stdout, '');
});

test('a nested index (OCI index → Docker manifest list → image) is followed', async (t) => {
  const { registry, host } = t.context;
  const result = await hutch(['pull', '-q', `${registry.host}/platform/nested:v1`]);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `${hex(host.configDigest)}\n`);
});
