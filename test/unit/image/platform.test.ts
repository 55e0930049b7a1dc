import test from 'ava';
import { InvalidContentError, NotFoundError, UsageError } from '../../../src/errors.js';
import { digestOf } from '../../../src/image/digest.js';
import type { ImageIndex, IndexEntry, ManifestDocument, Platform } from '../../../src/image/manifest.js';
import { DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from '../../../src/image/media-types.js';
import {
  armVariantFromCpuinfo,
  formatPlatform,
  hostPlatform,
  parsePlatformFlags,
  platformMatches,
  resolvePlatformManifest,
  selectManifest,
  wantedPlatforms,
} from '../../../src/image/platform.js';

const entry = (name: string, platform?: Platform, mediaType = OCI_MANIFEST): IndexEntry => ({
  mediaType,
  digest: digestOf(name),
  size: 1,
  skip: !(mediaType === OCI_MANIFEST || mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST),
  ...(platform ? { platform } : {}),
});
const index = (...manifests: IndexEntry[]): ImageIndex => ({ kind: 'index', mediaType: OCI_INDEX, manifests });
const p = (os: string, architecture: string, variant?: string): Platform => (variant ? { os, architecture, variant } : { os, architecture });

test('host platform maps Node arch names to GOARCH', (t) => {
  t.deepEqual(hostPlatform({ arch: 'x64' }), p('linux', 'amd64'));
  t.deepEqual(hostPlatform({ arch: 'arm64' }), p('linux', 'arm64', 'v8'));
  t.deepEqual(hostPlatform({ arch: 'ia32' }), p('linux', '386'));
  t.deepEqual(hostPlatform({ arch: 'ppc64' }), p('linux', 'ppc64le'));
  t.deepEqual(hostPlatform({ arch: 's390x' }), p('linux', 's390x'));
  t.deepEqual(hostPlatform({ arch: 'riscv64' }), p('linux', 'riscv64'));
  t.deepEqual(hostPlatform({ arch: 'arm', cpuinfo: 'processor\t: 0\nCPU architecture: 7\n' }), p('linux', 'arm', 'v7'));
  t.deepEqual(hostPlatform({ arch: 'arm', cpuinfo: '', armVersion: '6' }), p('linux', 'arm', 'v6'));
  t.deepEqual(hostPlatform({ arch: 'arm', cpuinfo: '', armVersion: 'garbage' }), p('linux', 'arm'));
});

test('arm variant from /proc/cpuinfo, including the ARMv6-compatible quirk', (t) => {
  t.is(armVariantFromCpuinfo('CPU architecture: 8'), 'v8');
  t.is(armVariantFromCpuinfo('model name\t: ARMv6-compatible processor rev 7 (v6l)\nCPU architecture: 7'), 'v6');
  t.is(armVariantFromCpuinfo('model name\t: ARMv7 Processor rev 4 (v7l)\nCPU architecture: 7'), 'v7');
  t.is(armVariantFromCpuinfo('CPU architecture: 5TEJ'), 'v5');
  t.is(armVariantFromCpuinfo('CPU architecture: 6TEJ'), 'v6');
  t.is(armVariantFromCpuinfo('flags: x'), undefined);
});

test('--platform, --arch, --variant parsing', (t) => {
  t.deepEqual(parsePlatformFlags({ platform: 'linux/arm64' }), { os: 'linux', architecture: 'arm64' });
  t.deepEqual(parsePlatformFlags({ platform: 'linux/arm/v7' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
  t.deepEqual(parsePlatformFlags({ platform: 'linux/x86_64' }), { os: 'linux', architecture: 'amd64' });
  t.deepEqual(parsePlatformFlags({ platform: 'linux/armhf' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
  t.deepEqual(parsePlatformFlags({ arch: 'aarch64' }), { architecture: 'arm64' });
  t.deepEqual(parsePlatformFlags({ arch: 'arm', variant: '6' }), { architecture: 'arm', variant: 'v6' });
  t.deepEqual(parsePlatformFlags({ os: 'linux', variant: 'v7' }), { os: 'linux', variant: 'v7' });
  t.deepEqual(parsePlatformFlags({}), {});
});

const badFlags: Array<[object, RegExp]> = [
  [{ platform: 'linux' }, /invalid value/],
  [{ platform: 'linux/amd64/v2/x' }, /invalid value/],
  [{ platform: 'linux//v7' }, /invalid value/],
  [{ platform: 'plan10/amd64' }, /unknown operating system/],
  [{ platform: 'linux/x87' }, /unknown architecture "x87"/],
  [{ platform: 'linux/arm/V7!' }, /invalid variant/],
  [{ platform: 'linux/amd64', arch: 'arm64' }, /cannot be combined/],
  [{ arch: '../../x' }, /unknown architecture/],
  [{ variant: 'v7/../..' }, /invalid variant/],
];
for (const [flags, message] of badFlags) {
  test(`rejects platform flags ${JSON.stringify(flags)}`, (t) => {
    t.throws(() => parsePlatformFlags(flags), { instanceOf: UsageError, message });
  });
}

test('wanted platforms: arm fallbacks v8→v7→v6→v5 then empty', (t) => {
  t.deepEqual(wantedPlatforms({}, p('linux', 'arm', 'v7')).map(formatPlatform), ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5', 'linux/arm']);
  t.deepEqual(wantedPlatforms({ architecture: 'arm', variant: 'v8' }, p('linux', 'amd64')).map(formatPlatform), ['linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5', 'linux/arm']);
  t.deepEqual(wantedPlatforms({ architecture: 'arm' }, p('linux', 'amd64')).map(formatPlatform), ['linux/arm', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
});

test('wanted platforms: arm64 v8 and empty; amd64 levels', (t) => {
  t.deepEqual(wantedPlatforms({}, p('linux', 'arm64', 'v8')).map(formatPlatform), ['linux/arm64/v8', 'linux/arm64']);
  t.deepEqual(wantedPlatforms({ architecture: 'arm64' }, p('linux', 'amd64')).map(formatPlatform), ['linux/arm64', 'linux/arm64/v8']);
  t.deepEqual(wantedPlatforms({}, p('linux', 'amd64')).map(formatPlatform), ['linux/amd64', 'linux/amd64/v1']);
  t.deepEqual(wantedPlatforms({ variant: 'v3' }, p('linux', 'amd64')).map(formatPlatform), ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64/v1', 'linux/amd64']);
  t.deepEqual(wantedPlatforms({ architecture: 's390x' }, p('linux', 'amd64')).map(formatPlatform), ['linux/s390x']);
  t.deepEqual(wantedPlatforms({ architecture: 'riscv64', variant: 'rva23' }, p('linux', 'amd64')).map(formatPlatform), ['linux/riscv64/rva23', 'linux/riscv64']);
});

test('the host variant is not applied to another architecture', (t) => {
  t.deepEqual(wantedPlatforms({ architecture: 'arm' }, p('linux', 'arm64', 'v8'))[0], p('linux', 'arm'));
});

const multi = index(
  entry('amd64', p('linux', 'amd64')),
  entry('attestation', p('unknown', 'unknown'), 'application/vnd.in-toto+json'),
  entry('armv6', p('linux', 'arm', 'v6')),
  entry('armv7', p('linux', 'arm', 'v7')),
  entry('arm64', p('linux', 'arm64', 'v8')),
  entry('amd64-dup', p('linux', 'amd64')),
  entry('skipped-arm64', p('linux', 'riscv64'), 'application/x-unknown'),
);

test('selection: exact first, then fallbacks, first match wins', (t) => {
  t.is(selectManifest(multi, wantedPlatforms({}, p('linux', 'amd64')))!.digest, digestOf('amd64'));
  t.is(selectManifest(multi, wantedPlatforms({}, p('linux', 'arm', 'v7')))!.digest, digestOf('armv7'));
  t.is(selectManifest(multi, wantedPlatforms({}, p('linux', 'arm', 'v8')))!.digest, digestOf('armv7'));
  t.is(selectManifest(multi, wantedPlatforms({}, p('linux', 'arm64', 'v8')))!.digest, digestOf('arm64'));
  t.is(selectManifest(index(entry('a', p('linux', 'arm64'))), wantedPlatforms({}, p('linux', 'arm64', 'v8')))!.digest, digestOf('a'));
  t.is(selectManifest(multi, wantedPlatforms({ architecture: 'riscv64' }, p('linux', 'amd64'))), undefined, 'skipped entries are never selected');
  t.is(selectManifest(multi, wantedPlatforms({ variant: 'v5' }, p('linux', 'arm'))), undefined);
});

test('platformMatches treats a missing variant as empty', (t) => {
  t.true(platformMatches(p('linux', 'amd64'), [{ os: 'linux', architecture: 'amd64', variant: '' }]));
  t.false(platformMatches(p('linux', 'arm', 'v7'), [p('linux', 'arm')]));
});

const noFetch = async (): Promise<ManifestDocument> => {
  throw new Error('must not fetch');
};

test('resolvePlatformManifest returns a direct match without fetching', async (t) => {
  const found = await resolvePlatformManifest(multi, wantedPlatforms({}, p('linux', 'arm64', 'v8')), noFetch, 'img');
  t.is(found.digest, digestOf('arm64'));
});

test('resolvePlatformManifest lists available platforms when nothing matches', async (t) => {
  const err = await t.throwsAsync(resolvePlatformManifest(multi, wantedPlatforms({ architecture: 's390x' }, p('linux', 'amd64')), noFetch, 'docker.io/library/x:1'), { instanceOf: NotFoundError });
  t.is(
    err!.message,
    'docker.io/library/x:1: no image for platform linux/s390x; available platforms: linux/amd64, linux/arm/v6, linux/arm/v7, linux/arm64/v8',
  );
});

test('resolvePlatformManifest descends into nested indexes', async (t) => {
  const inner = index(entry('inner-arm64', p('linux', 'arm64')));
  const outer = index(entry('amd64', p('linux', 'amd64')), entry('nested', undefined, OCI_INDEX));
  const fetched: string[] = [];
  const found = await resolvePlatformManifest(outer, wantedPlatforms({}, p('linux', 'arm64', 'v8')), async (e) => {
    fetched.push(e.digest);
    return inner;
  }, 'img');
  t.is(found.digest, digestOf('inner-arm64'));
  t.deepEqual(fetched, [digestOf('nested')]);
});

test('resolvePlatformManifest: a matching entry that is an index is followed', async (t) => {
  const inner = index(entry('leaf', p('linux', 'amd64')));
  const outer = index(entry('per-arch', p('linux', 'amd64'), OCI_INDEX));
  const found = await resolvePlatformManifest(outer, wantedPlatforms({}, p('linux', 'amd64')), async () => inner, 'img');
  t.is(found.digest, digestOf('leaf'));
});

test('resolvePlatformManifest refuses index loops and non-index nested content', async (t) => {
  const loop = index(entry('self', undefined, OCI_INDEX));
  await t.throwsAsync(resolvePlatformManifest(loop, wantedPlatforms({}, p('linux', 'amd64')), async () => loop, 'img'), { instanceOf: InvalidContentError, message: /nested more than/ });
  const notIndex: ManifestDocument = { kind: 'manifest', mediaType: OCI_MANIFEST, config: entry('c'), layers: [] };
  await t.throwsAsync(resolvePlatformManifest(loop, wantedPlatforms({}, p('linux', 'amd64')), async () => notIndex, 'img'), { instanceOf: InvalidContentError, message: /not an index/ });
});
