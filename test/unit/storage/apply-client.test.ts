import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import test from 'ava';
import { execa } from 'execa';
import { InvalidContentError } from '../../../src/errors.js';
import { OCI_LAYER_GZIP, OCI_LAYER_TAR, OCI_LAYER_ZSTD } from '../../../src/image/media-types.js';
import { runtimeExecutablePath } from '../../../src/native/index.js';
import { extractLayer, type LayerExtraction } from '../../../src/storage/apply-client.js';
import { formatIdMap, planIdMapping } from '../../../src/storage/userns.js';
import { makeTar } from './_tar.js';

const DIGEST = `sha256:${'cd'.repeat(32)}`;
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function zstd(data: Buffer): Buffer {
  const result = spawnSync('zstd', ['-q', '-c'], { input: data });
  if (result.status !== 0) throw new Error(`zstd failed: ${result.stderr}`);
  return result.stdout;
}

function workdir(t: { teardown(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'hutch-applyjob-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'diff'));
  return root;
}

function job(root: string, mediaType: string, compressedSize = 0): LayerExtraction {
  return { target: join(root, 'diff'), lowers: [], layerDigest: DIGEST, mediaType, compressedSize };
}

/** Extracts `blob` as root, with the image's own owners (no user namespace). */
function apply(layer: LayerExtraction, blob: Buffer) {
  return extractLayer({ mode: 'direct' }, layer, Readable.from([blob]));
}

const TAR = makeTar([{ name: 'etc/hostname', data: 'hutch\n' }, { name: 'bin/', type: '5' }]);

for (const [mediaType, encode] of [
  [OCI_LAYER_TAR, (b: Buffer) => b],
  [OCI_LAYER_GZIP, gzipSync],
  [OCI_LAYER_ZSTD, zstd],
] as const) {
  test(`applies ${mediaType} and reports the diff_id of the uncompressed tar`, async (t) => {
    const root = workdir(t);
    const blob = encode(TAR);
    const result = await apply(job(root, mediaType, blob.length), blob);
    t.is(result.diffId, sha256(TAR));
    t.is(result.bytes, TAR.length);
    t.is(result.entries, 2);
    t.true(result.diskBytes > 0);
    t.is(readFileSync(join(root, 'diff', 'etc', 'hostname'), 'utf8'), 'hutch\n');
  });
}

test('truncated gzip and zstd streams are refused', async (t) => {
  const big = makeTar([{ name: 'data', data: createHash('sha512').update('seed').digest().toString('hex').repeat(2000) }]);
  for (const [mediaType, blob] of [
    [OCI_LAYER_GZIP, gzipSync(big)],
    [OCI_LAYER_ZSTD, zstd(big)],
  ] as const) {
    const root = workdir(t);
    const cut = blob.subarray(0, Math.floor(blob.length / 2));
    await t.throwsAsync(apply(job(root, mediaType, blob.length), cut), { instanceOf: InvalidContentError, message: new RegExp(`layer ${DIGEST}`) });
  }
});

test('a media type contradicted by the magic bytes is refused', async (t) => {
  const cases: Array<[string, Buffer, RegExp]> = [
    [OCI_LAYER_ZSTD, gzipSync(TAR), /says zstd, but the data is gzip/],
    [OCI_LAYER_GZIP, TAR, /says gzip, but the data is not gzip/],
    [OCI_LAYER_TAR, gzipSync(TAR), /says uncompressed tar, but the data is gzip/],
    [OCI_LAYER_GZIP, zstd(TAR), /says gzip, but the data is zstd/],
  ];
  for (const [mediaType, blob, message] of cases) {
    const root = workdir(t);
    await t.throwsAsync(apply(job(root, mediaType, blob.length), blob), { instanceOf: InvalidContentError, message });
    t.false(existsSync(join(root, 'diff', 'etc')), 'nothing applied');
  }
  const root = workdir(t);
  await t.throwsAsync(apply(job(root, 'application/vnd.oci.image.config.v1+json'), TAR), { instanceOf: InvalidContentError, message: /not a known layer type/ });
});

test('a decompression bomb is stopped by the ratio cap', async (t) => {
  const root = workdir(t);
  const bomb = gzipSync(makeTar([{ name: 'zeros', data: Buffer.alloc(8 * 1024 * 1024) }]), { level: 9 });
  const jobWithLimits: LayerExtraction = { ...job(root, OCI_LAYER_GZIP, bomb.length), limits: { ratioFloor: 1024 * 1024 } };
  await t.throwsAsync(apply(jobWithLimits, bomb), { instanceOf: InvalidContentError, message: /200 times the compressed size/ });
});

const runtime = (() => {
  try {
    return runtimeExecutablePath();
  } catch {
    return null;
  }
})();
const hasTestUser = spawnSync('id', ['-u', 'hutch-test']).stdout?.toString().trim() === '1001';
const integration = runtime && hasTestUser && process.getuid?.() === 0 ? test : test.skip;
if (!runtime || !hasTestUser) console.warn('SKIP apply-layer userns test: needs build/Release/hutch-runtime and the hutch-test user');

integration('apply-layer under hutch-runtime userns-exec (as hutch-test) maps uid 1000 to 100999', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hutch-userns-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  chownSync(root, 1001, 1001);
  mkdirSync(join(root, 'diff'));
  chownSync(join(root, 'diff'), 1001, 1001);
  const tar = makeTar([{ name: 'home/user/', type: '5', uid: 1000, gid: 1000 }, { name: 'home/user/file', data: 'mine', uid: 1000, gid: 1000, mode: 0o4755 }, { name: '.wh.gone' }]);
  const blob = gzipSync(tar);
  const plan = await planIdMapping({ uid: 1001, gid: 1001, userName: 'hutch-test' });
  t.is(plan.mode, 'userns');
  if (plan.mode !== 'userns') return;
  // The contract as apply-client.ts uses it: the job as JSON, the blob on stdin, one JSON line out.
  const jobJson = JSON.stringify({ target: join(root, 'diff'), lowers: [], layerDigest: DIGEST, compression: 'gzip', compressedSize: blob.length });
  const result = await execa('runuser', ['-u', 'hutch-test', '--', runtime!, 'userns-exec', '--uid-map', formatIdMap(plan.uidMap), '--gid-map', formatIdMap(plan.gidMap), '--', runtime!, 'apply-layer', jobJson], {
    input: blob,
    reject: false,
  });
  t.is(result.exitCode, 0, String(result.stderr));
  const parsed = JSON.parse(String(result.stdout));
  t.is(parsed.diffId, sha256(tar));
  const st = statSync(join(root, 'diff', 'home', 'user', 'file'));
  t.is(st.uid, 100999);
  t.is(st.gid, 100999);
  t.is(st.mode & 0o7777, 0o4755);
  t.is(statSync(join(root, 'diff', 'home', 'user')).uid, 100999);
  // Parents the tar did not list belong to container root, i.e. the user.
  t.is(statSync(join(root, 'diff', 'home')).uid, 1001);
  const whiteout = lstatSync(join(root, 'diff', 'gone'));
  t.true(whiteout.isCharacterDevice());
  t.is(whiteout.rdev, 0);
});

integration('as hutch-test: an owner outside the subordinate ranges is EIDMAP, ignored in single-id mode', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hutch-userns-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  chownSync(root, 1001, 1001);
  const blob = gzipSync(makeTar([{ name: 'far', data: 'x', uid: 70_000 }]));
  const run = async (dir: string, maps: string[], ignoreChownErrors: boolean) => {
    mkdirSync(join(root, dir));
    chownSync(join(root, dir), 1001, 1001);
    const jobJson = JSON.stringify({ target: join(root, dir), lowers: [], layerDigest: DIGEST, compression: 'gzip', ignoreChownErrors });
    const result = await execa('runuser', ['-u', 'hutch-test', '--', runtime!, 'userns-exec', ...maps, '--', runtime!, 'apply-layer', jobJson], { input: blob, reject: false });
    return { exitCode: result.exitCode, out: JSON.parse(String(result.stdout)) };
  };
  const ranged = await run('ranged', ['--uid-map', '0:1001:1,1:100000:65536', '--gid-map', '0:1001:1,1:100000:65536'], false);
  t.is(ranged.exitCode, 1);
  t.like(ranged.out.error, { name: 'HostError', code: 'EIDMAP' });
  t.regex(ranged.out.error.message, new RegExp(`layer ${DIGEST}: entry \`far\`: uid 70000 / gid 0 is outside the subordinate id ranges`));
  const single = await run('single', ['--uid-map', '0:1001:1', '--gid-map', '0:1001:1'], true);
  t.is(single.exitCode, 0);
  t.is(statSync(join(root, 'single', 'far')).uid, 1001);
});

test('concatenated gzip members and zstd frames are one layer; zero padding after gzip is allowed, garbage is not', async (t) => {
  const big = makeTar([{ name: 'data', data: createHash('sha512').update('seed').digest().toString('hex').repeat(3000) }, { name: 'etc/hostname', data: 'hutch\n' }]);
  const cut = 100_000;
  const cases: Array<[string, Buffer]> = [
    [OCI_LAYER_GZIP, Buffer.concat([gzipSync(big.subarray(0, cut)), gzipSync(big.subarray(cut)), Buffer.alloc(512)])],
    [OCI_LAYER_ZSTD, Buffer.concat([zstd(big.subarray(0, cut)), zstd(big.subarray(cut))])],
  ];
  for (const [mediaType, blob] of cases) {
    const root = workdir(t);
    const result = await apply(job(root, mediaType, blob.length), blob);
    t.is(result.diffId, sha256(big), mediaType);
    t.is(readFileSync(join(root, 'diff', 'etc', 'hostname'), 'utf8'), 'hutch\n');
  }
  const root = workdir(t);
  const garbage = Buffer.concat([gzipSync(big), Buffer.from('not gzip')]);
  await t.throwsAsync(apply(job(root, OCI_LAYER_GZIP, garbage.length), garbage), { instanceOf: InvalidContentError, message: /cannot read the layer data/ });
});
