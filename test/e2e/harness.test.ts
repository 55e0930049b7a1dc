// The e2e harness checks itself: it runs rootless for real, its registry serves
// what its image builder pushed (with and without auth), its tar writer is read
// back by independent tools, the installed CLI starts, and the reporter builds.
import { execa } from 'execa';
import { mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import anyTest, { type TestFn } from 'ava';
import { buildImage, buildIndex, MEDIA_TYPES, sha256Digest, writeOciLayout, type BuiltImage, type LayerSpec } from '../helpers/image-builder.js';
import { hutch } from '../helpers/installed-cli.js';
import { fetchManifest, pushImage, pushRaw } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { capabilityNames, parseReport, reporterBinary, type ReporterProbe } from '../helpers/reporter.js';
import { runAsTestUser, testUser } from '../helpers/test-user.js';

const test = anyTest as TestFn<{ open: TestRegistry; secured: TestRegistry }>;
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const TWO_LAYERS: LayerSpec[] = [
  {
    compression: 'gzip',
    entries: [
      { type: 'dir', path: 'etc', mode: 0o755 },
      { type: 'file', path: 'etc/motd', content: 'hello from layer one\n', uid: 1000, gid: 1000, mode: 0o640 },
      { type: 'symlink', path: 'etc/motd.link', target: '/etc/motd' },
    ],
  },
  {
    compression: 'zstd',
    entries: [
      { type: 'whiteout', path: 'etc/motd.link' },
      { type: 'file', path: 'etc/zstd-layer', content: 'from the zstd layer\n' },
    ],
  },
];

test.before(async (t) => {
  t.context.open = await startRegistry();
  t.context.secured = await startRegistry({ auth: true });
});

test.after.always(async (t) => {
  await t.context.open?.stop();
  await t.context.secured?.stop();
});

test('commands run through the harness are never run as root', async (t) => {
  const result = await runAsTestUser('id', ['-u']);
  t.is(result.exitCode, 0, result.stderr);
  t.not(result.stdout.trim(), '0');
  t.is(Number(result.stdout.trim()), testUser().uid);
});

test('a pushed two-layer image (gzip + zstd) is served back with its digest and media type', async (t) => {
  const { open } = t.context;
  const image = await buildImage({ layers: TWO_LAYERS, config: { Cmd: ['/bin/sh'], Env: ['A=1'] } });
  await pushImage(open, 'harness/two-layers', 'v1', image);

  const fetched = await fetchManifest(open, 'harness/two-layers', 'v1');
  t.is(fetched.status, 200);
  t.is(fetched.mediaType, MEDIA_TYPES.oci.manifest);
  t.is(fetched.digest, image.manifestDigest);
  t.is(sha256Digest(fetched.bytes), image.manifestDigest);
  const manifest = JSON.parse(fetched.bytes.toString()) as { layers: { mediaType: string; digest: string }[]; config: { digest: string } };
  t.deepEqual(manifest.layers.map((l) => l.mediaType), [MEDIA_TYPES.oci.layer.gzip, MEDIA_TYPES.oci.layer.zstd]);

  const config = JSON.parse((await blob(open, 'harness/two-layers', manifest.config.digest)).toString()) as { rootfs: { type: string; diff_ids: string[] } };
  t.deepEqual(config.rootfs, { type: 'layers', diff_ids: image.layers.map((l) => l.diffId) });
  const zstdLayer = await blob(open, 'harness/two-layers', manifest.layers[1]!.digest);
  const { stdout: tar } = await execa('zstd', ['-d', '-q', '-c'], { input: zstdLayer, encoding: 'buffer', stripFinalNewline: false });
  t.is(sha256Digest(tar), image.layers[1]!.diffId);
});

test('Docker schema 2 manifests and a multi-platform index are served with their own media types', async (t) => {
  const { open } = t.context;
  const docker = await buildImage({ layers: [TWO_LAYERS[0]!], format: 'docker' });
  await pushImage(open, 'harness/docker', 'v1', docker);
  const fetchedDocker = await fetchManifest(open, 'harness/docker', 'v1');
  t.is(fetchedDocker.mediaType, MEDIA_TYPES.docker.manifest);
  t.is(fetchedDocker.digest, docker.manifestDigest);

  const other = await buildImage({ layers: [TWO_LAYERS[0]!], architecture: 'arm', variant: 'v7' });
  const host = await buildImage({ layers: TWO_LAYERS });
  const index = buildIndex([other, host]);
  await pushImage(open, 'harness/multi', 'latest', index);
  const fetchedIndex = await fetchManifest(open, 'harness/multi', 'latest');
  t.is(fetchedIndex.mediaType, MEDIA_TYPES.oci.index);
  t.is(fetchedIndex.digest, index.manifestDigest);
  const platforms = (JSON.parse(fetchedIndex.bytes.toString()) as { manifests: { platform: { architecture: string; variant?: string } }[] }).manifests.map((m) => m.platform);
  t.deepEqual(platforms, [other.platform, host.platform]);
  t.is((await fetchManifest(open, 'harness/multi', other.manifestDigest)).status, 200);
});

test('the registry in auth mode answers 401 without credentials and 200 with them', async (t) => {
  const { secured } = t.context;
  const image = await buildImage({ layers: TWO_LAYERS });
  await pushImage(secured, 'harness/private', 'v1', image);

  const anonymous = await fetchManifest(secured, 'harness/private', 'v1', { auth: false });
  t.is(anonymous.status, 401);
  const withCredentials = await fetchManifest(secured, 'harness/private', 'v1');
  t.is(withCredentials.status, 200);
  t.is(withCredentials.digest, image.manifestDigest);
  const wrong = await fetch(`${secured.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from(`${secured.username}:wrong`).toString('base64')}` } });
  t.is(wrong.status, 401);
});

test('pushRaw hands the registry arbitrary manifest bytes and reports its answer', async (t) => {
  const answer = await pushRaw(t.context.open, 'harness/raw', 'bad', Buffer.from('{not json'), MEDIA_TYPES.oci.manifest);
  t.is(answer.status, 400);
  t.regex(answer.body, /MANIFEST_INVALID/);
});

test('layers from the tar writer read back with GNU tar: names, types, owners, xattrs, long names', async (t) => {
  const longName = `${'deep/'.repeat(40)}file-with-a-long-name`;
  const image = await buildImage({
    layers: [{
      compression: 'none',
      entries: [
        { type: 'dir', path: 'd', mode: 0o1777 },
        { type: 'file', path: 'd/f', content: 'data', uid: 1000, gid: 1001, xattrs: { 'user.test': 'value', 'security.capability': Buffer.from([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) } },
        { type: 'hardlink', path: 'd/hard', target: 'd/f' },
        { type: 'symlink', path: 'd/abs', target: '/etc/passwd' },
        { type: 'fifo', path: 'd/pipe' },
        { type: 'chardev', path: 'd/null', devmajor: 1, devminor: 3 },
        { type: 'file', path: longName, content: 'long' },
        { type: 'opaque', path: 'o' },
        { type: 'whiteout', path: 'd/gone' },
        { type: 'raw', record: { name: '../escape', typeflag: '0', content: Buffer.from('x') } },
      ],
    }],
  });
  const tar = image.layers[0]!.tar;
  const listing = await execa('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=*', '-tvvf', '-'], { input: tar });
  const lines = listing.stdout.split('\n');
  const line = (suffix: string): string => lines.find((l) => l.endsWith(suffix)) ?? '';
  t.regex(line(' d/'), /^drwxrwxrwt/);
  t.regex(line(' d/f'), /^-rw-r--r--\* 1000\/1001 +4 /);
  t.true(lines.includes('  x: 5 user.test') && lines.includes('  x: 20 security.capability'));
  t.regex(line(' d/hard link to d/f'), /^h/);
  t.regex(line(' d/abs -> /etc/passwd'), /^l/);
  t.regex(line(' d/pipe'), /^p/);
  t.regex(line(' d/null'), /^c.* 1,3 /);
  t.truthy(line(` ${longName}`));
  t.truthy(line(' o/.wh..wh..opq'));
  t.truthy(line(' d/.wh.gone'));
  t.truthy(line(' ../escape'));

  const dir = await mkdtemp(join(tmpdir(), 'hutch-harness-tar-'));
  try {
    await execa('tar', ['-xf', '-', '-C', dir, '--exclude=d/null', '--exclude=../escape'], { input: tar });
    t.is(await readFile(join(dir, longName), 'utf8'), 'long');
    t.is(await readlink(join(dir, 'd/abs')), '/etc/passwd');
    t.is((await stat(join(dir, 'd/hard'))).ino, (await stat(join(dir, 'd/f'))).ino);
    t.true((await stat(join(dir, 'd/pipe'))).isFIFO());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an OCI layout written by the builder is read by skopeo with the same digests', async (t) => {
  const image: BuiltImage = await buildImage({ layers: TWO_LAYERS });
  const dir = await mkdtemp(join(tmpdir(), 'hutch-harness-layout-'));
  try {
    await writeOciLayout(dir, image, 'v1');
    const { stdout } = await execa('skopeo', ['inspect', `oci:${dir}:v1`]);
    const inspected = JSON.parse(stdout) as { Digest: string; Layers: string[] };
    t.is(inspected.Digest, image.manifestDigest);
    t.deepEqual(inspected.Layers, image.layers.map((l) => l.digest));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the installed hutch answers --version and --help as the test user', async (t) => {
  const versionResult = await hutch(['--version']);
  t.is(versionResult.exitCode, 0, versionResult.stderr);
  t.true(versionResult.stdout.includes(version));
  const help = await hutch(['--help']);
  t.is(help.exitCode, 0, help.stderr);
  t.regex(help.stdout, /--root/);
});

test('the reporter builds statically and reports valid JSON as the test user', async (t) => {
  const bin = await reporterBinary();
  const result = await runAsTestUser(bin, ['all']);
  t.is(result.exitCode, 0, result.stderr);
  const report = parseReport(result.stdout);
  t.is(report.uid, testUser().uid);
  t.true(report.pid > 1);
  t.deepEqual(capabilityNames(report.caps.eff), []);
  t.regex(report.caps.bnd, /^[0-9a-f]{16}$/);
  t.deepEqual(report.fds.slice(0, 3).map((f) => f.fd), [0, 1, 2]);
  t.true(report.mounts.some((m) => m.mountpoint === '/'));
  t.regex(report.uid_map ?? '', /^\s*\d+\s+\d+\s+\d+\n/);

  const probe = parseReport<ReporterProbe>((await runAsTestUser(bin, ['syscall', '1000'])).stdout);
  t.deepEqual(probe, { syscall: '1000', result: -1, errno: 'ENOSYS' });
  t.is((await runAsTestUser(bin, ['exit', '7'])).exitCode, 7);
  const killed = await runAsTestUser(bin, ['kill-self', 'TERM']);
  t.is(killed.signal, 'SIGTERM');
  t.is(killed.exitCode, 143);
});

async function blob(registry: TestRegistry, name: string, digest: string): Promise<Buffer> {
  const headers: Record<string, string> = registry.authorization === undefined ? {} : { authorization: registry.authorization };
  const response = await fetch(`${registry.url}/v2/${name}/blobs/${digest}`, { headers });
  if (response.status !== 200) throw new Error(`GET blob ${digest}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}
