// `hutch import`: a root filesystem tarball, plain or compressed, from a file or
// standard input, becomes a one-layer image whose DiffID is the digest of the
// uncompressed tar, and that image runs.
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import { hutch, makeStore, type HutchStore } from '../helpers/installed-cli.js';
import { makeTestUserDir } from '../helpers/test-user.js';

interface Context {
  store: HutchStore;
  dir: string;
  /** The uncompressed rootfs tarball. */
  tar: Buffer;
  diffId: string;
}

const test = anyTest as TestFn<Context>;

const LAST_FILE_CONTENT = 'written last, so it lies in the second zstd frame\n';

// busybox with sh and cat, one file padded past the busybox binary, and /zlast,
// which sorts last and so ends up at the end of the archive.
async function rootfsTarball(): Promise<Buffer> {
  const tree = await mkdtemp(join(tmpdir(), 'hutch-e2e-import-tree-'));
  try {
    await mkdir(join(tree, 'bin'));
    await copyFile('/bin/busybox', join(tree, 'bin', 'busybox'));
    await chmod(join(tree, 'bin', 'busybox'), 0o755);
    for (const applet of ['sh', 'cat']) await symlink('busybox', join(tree, 'bin', applet));
    await writeFile(join(tree, 'pad'), Buffer.alloc(256 * 1024, 'p'));
    await writeFile(join(tree, 'zlast'), LAST_FILE_CONTENT);
    const tar = await execa('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', tree, '-cf', '-', '.'], { encoding: 'buffer' });
    return Buffer.from(tar.stdout);
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

// One zstd frame of `input`, made through files rather than pipes and checked
// by the zstd CLI, so a fixture damaged on its way is never blamed on hutch.
async function zstdFrame(dir: string, input: Buffer): Promise<Buffer> {
  const plain = join(dir, 'frame-input');
  const frame = join(dir, 'frame.zst');
  await writeFile(plain, input);
  await execa('zstd', ['-q', '-f', '-o', frame, plain]);
  await execa('zstd', ['-q', '-t', frame]);
  const compressed = await readFile(frame);
  await rm(plain);
  await rm(frame);
  return compressed;
}

async function writeReadable(path: string, content: Buffer): Promise<string> {
  await writeFile(path, content);
  await chmod(path, 0o644);
  return path;
}

async function ok(t: { context: Context }, args: readonly string[], input?: Buffer): Promise<string> {
  const result = await hutch(args, { store: t.context.store, timeout: 120_000, ...(input === undefined ? {} : { input }) });
  if (result.exitCode !== 0) throw new Error(`hutch ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function rootfsLayers(t: { context: Context }, name: string): Promise<string[]> {
  const [record] = JSON.parse(await ok(t, ['image', 'inspect', name])) as [{ RootFS: { Layers: string[] } }];
  return record.RootFS.Layers;
}

test.before(async (t) => {
  const tar = await rootfsTarball();
  t.context = {
    store: await makeStore(),
    dir: await makeTestUserDir('hutch-e2e-import-'),
    tar,
    diffId: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
  };
});

test.after.always(async (t) => {
  await t.context.store?.remove();
  if (t.context.dir) await rm(t.context.dir, { recursive: true, force: true });
});

// RFC 8878 §3.1: a zstd stream is one or more frames. zstd:chunked and pzstd
// layers have many; Node's own zstd decoder stops after the first one.
test('a zstd tarball of two frames: the DiffID covers both, and a file from the second frame is in the image', async (t) => {
  const half = Math.floor(t.context.tar.length / 2);
  const twoFrames = Buffer.concat([await zstdFrame(t.context.dir, t.context.tar.subarray(0, half)), await zstdFrame(t.context.dir, t.context.tar.subarray(half))]);
  const file = await writeReadable(join(t.context.dir, 'rootfs.tar.zst'), twoFrames);
  const id = (await ok(t, ['import', file, 'imported:zstd'])).trim();
  t.regex(id, /^[0-9a-f]{64}$/);
  t.deepEqual(await rootfsLayers(t, 'localhost/imported:zstd'), [t.context.diffId]);
  t.is(await ok(t, ['run', '--rm', 'imported:zstd', 'cat', '/zlast']), LAST_FILE_CONTENT);
});

test('a gzip tarball from standard input and a plain tarball give the same DiffID', async (t) => {
  await ok(t, ['import', '-', 'imported:gzip'], gzipSync(t.context.tar));
  const plain = await writeReadable(join(t.context.dir, 'rootfs.tar'), t.context.tar);
  await ok(t, ['import', plain, 'imported:plain']);
  t.deepEqual(await rootfsLayers(t, 'localhost/imported:gzip'), [t.context.diffId]);
  t.deepEqual(await rootfsLayers(t, 'localhost/imported:plain'), [t.context.diffId]);
  t.is(await ok(t, ['run', '--rm', 'imported:plain', 'cat', '/zlast']), LAST_FILE_CONTENT);
});

test('a truncated zstd tarball is refused and leaves no image', async (t) => {
  const whole = await zstdFrame(t.context.dir, t.context.tar);
  const file = await writeReadable(join(t.context.dir, 'truncated.tar.zst'), whole.subarray(0, whole.length - 64));
  const result = await hutch(['import', file, 'imported:truncated'], { store: t.context.store, timeout: 120_000 });
  t.not(result.exitCode, 0);
  t.regex(result.stderr, /truncated|unexpected end|incomplete/i);
  const images = await ok(t, ['images', '--format', '{{.Repository}}:{{.Tag}}']);
  t.false(images.includes('imported:truncated'), images);
});
