// The compiled-seccomp cache (<root>/seccomp-cache, addon/seccomp-cache.cc):
// a run stores the program, the next runs load it, and a program the runtime
// must not trust (in a directory others can write, or not matching the spec)
// is never loaded.
import { execFileSync } from 'node:child_process';
import { chmod, chown, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { hutch, installedHutch } from '../helpers/installed-cli.js';
import { parseReport, type ReporterProbe } from '../helpers/reporter.js';
import { prepareRunImage, runIn, type RunImage } from '../helpers/run-image.js';
import { testUser } from '../helpers/test-user.js';

const test = anyTest as TestFn<{ image: RunImage }>;

/** sizeof(struct sock_filter). */
const BPF_INSN_BYTES = 8;
/** The cache file's header: 8 magic bytes, then the key's length and the program's length (u64 each). */
const HEADER_BYTES = 8 + 16;

function cacheDir(image: RunImage): string {
  return join(image.store.root, 'seccomp-cache');
}

async function cachedPrograms(image: RunImage): Promise<string[]> {
  return (await readdir(cacheDir(image)).catch(() => [])).filter((name) => name.endsWith('.bpf'));
}

async function keyctlErrno(image: RunImage): Promise<string | null | undefined> {
  const result = await runIn(image, [], ['/bin/reporter', 'syscall', 'keyctl']);
  if (result.exitCode !== 0) throw new Error(`hutch run exited ${result.exitCode}:\n${result.stderr}`);
  return parseReport<ReporterProbe>(result.stdout).errno;
}

/** The cached file with its program replaced by one instruction, `ret SECCOMP_RET_ALLOW`: a filter that allows everything. */
function allowEverything(file: Buffer): Buffer {
  const keyBytes = Number(file.readBigUInt64LE(8));
  const header = Buffer.from(file.subarray(0, HEADER_BYTES));
  header.writeBigUInt64LE(1n, 16);
  const ret = Buffer.alloc(BPF_INSN_BYTES);
  ret.writeUInt16LE(0x06, 0); // BPF_RET | BPF_K
  ret.writeUInt32LE(0x7fff0000, 4); // SECCOMP_RET_ALLOW
  return Buffer.concat([header, file.subarray(HEADER_BYTES, HEADER_BYTES + keyBytes), ret]);
}

/** Writes `content` as the test user's file, the way a process of theirs would. */
async function plant(path: string, content: Buffer): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  const user = testUser();
  await chown(path, user.uid, user.gid);
}

test.beforeEach(async (t) => {
  t.context.image = await prepareRunImage();
});

test.afterEach.always(async (t) => {
  await t.context.image?.remove();
});

test('the first run stores the compiled program privately and later runs enforce the cached one', async (t) => {
  const { image } = t.context;
  t.deepEqual(await cachedPrograms(image), []);
  t.is(await keyctlErrno(image), 'EPERM');
  const [name] = await cachedPrograms(image);
  t.truthy(name, 'no program was cached');
  t.is((await stat(cacheDir(image))).mode & 0o777, 0o700);
  t.is((await stat(join(cacheDir(image), name!))).mode & 0o777, 0o600);
  t.is(await keyctlErrno(image), 'EPERM');
  t.deepEqual(await cachedPrograms(image), [name]);
});

/** The GNU build ID of the runtime the installed CLI runs, as `readelf -n` prints it. */
async function installedRuntimeBuildId(): Promise<Buffer> {
  const runtime = join(dirname(dirname(await installedHutch())), 'lib', 'node_modules', 'hutch', 'build', 'Release', 'hutch-runtime');
  const notes = execFileSync('readelf', ['-n', runtime], { encoding: 'utf8' });
  const hex = /Build ID: ([0-9a-f]+)/.exec(notes)?.[1];
  if (!hex) throw new Error(`${runtime} has no GNU build ID:\n${notes}`);
  return Buffer.from(hex, 'hex');
}

test('the cache key names the runtime build, so a rebuilt runtime never loads an older build\'s program', async (t) => {
  const { image } = t.context;
  t.is(await keyctlErrno(image), 'EPERM');
  const [name] = await cachedPrograms(image);
  const file = await readFile(join(cacheDir(image), name!));
  const key = file.subarray(HEADER_BYTES, HEADER_BYTES + Number(file.readBigUInt64LE(8)));
  t.true(key.includes(await installedRuntimeBuildId()), 'the stored key does not contain the runtime build ID');
});

test('a program planted in a cache directory that others can write is not loaded', async (t) => {
  const { image } = t.context;
  t.is(await keyctlErrno(image), 'EPERM');
  const [name] = await cachedPrograms(image);
  const path = join(cacheDir(image), name!);
  const permissive = allowEverything(await readFile(path));
  await plant(path, permissive);
  await chmod(cacheDir(image), 0o777);
  t.is(await keyctlErrno(image), 'EPERM', 'the filter was weakened by a file in a world-writable cache directory');
  // The control: in the user's own private directory the same file is the
  // user's own cache and is used, so the planted program does take effect
  // and the assertion above is the one that protects.
  await chmod(cacheDir(image), 0o700);
  await plant(path, permissive);
  t.not(await keyctlErrno(image), 'EPERM');
});

test('a cached file that is corrupt or made for another profile is ignored and replaced', async (t) => {
  const { image } = t.context;
  t.is(await keyctlErrno(image), 'EPERM');
  const [name] = await cachedPrograms(image);
  const path = join(cacheDir(image), name!);
  const good = await readFile(path);
  await plant(path, good.subarray(0, good.length - 3));
  t.is(await keyctlErrno(image), 'EPERM');
  t.deepEqual(await readFile(path), good);
  const otherKey = Buffer.from(allowEverything(good));
  otherKey[HEADER_BYTES + 40] ^= 0x01;
  await plant(path, otherKey);
  t.is(await keyctlErrno(image), 'EPERM');
  t.deepEqual(await readFile(path), good);
  await rm(path);
  t.is(await keyctlErrno(image), 'EPERM');
});

test('system prune empties the cache; the next run compiles and stores the program again', async (t) => {
  const { image } = t.context;
  t.is(await keyctlErrno(image), 'EPERM');
  t.is((await cachedPrograms(image)).length, 1);
  const pruned = await hutch(['system', 'prune', '-f'], { store: image.store });
  t.is(pruned.exitCode, 0, pruned.stderr);
  t.regex(pruned.stdout, /^Deleted 1 cached seccomp program$/m);
  t.deepEqual(await cachedPrograms(image), []);
  t.is(await keyctlErrno(image), 'EPERM');
  t.is((await cachedPrograms(image)).length, 1);
});
