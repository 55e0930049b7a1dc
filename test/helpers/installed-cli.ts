// End-to-end tests run hutch as a user would get it: `npm pack` of this work
// tree installed with `npm install -g --prefix`, executed as the unprivileged
// test user with its storage and runtime state in throwaway directories.
import { createHash } from 'node:crypto';
import { access, constants, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Options, type ResultPromise } from 'execa';
import { makeTestUserDir, runAsTestUser, spawnAsTestUser, switchesUser, type RunOptions, type RunResult } from './test-user.js';

/** Per-test storage: pass it to several hutch() calls that must share images and containers. */
export interface HutchStore {
  root: string;
  runroot: string;
  /** Deletes everything, including files owned by subordinate ids. */
  remove(): Promise<void>;
}

/** Options for one hutch invocation; `store: null` runs without --root/--runroot (default locations). */
export interface HutchOptions extends RunOptions {
  store?: HutchStore | null;
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(tmpdir(), 'hutch-e2e-cli');
// Only what `npm pack` ships can change the installed CLI; tests, build output and deps do not.
const IGNORED = new Set(['node_modules', 'build', 'dist', 'test', 'bench', '.git', '.ci']);
const LOCK_WAIT_MS = 15 * 60_000;
const STALE_INSTALL_MS = 24 * 3600_000;

let installing: Promise<string> | undefined;

/** Path of the installed `hutch` (HUTCH_E2E_BIN, or installed now and cached by source content). */
export function installedHutch(): Promise<string> {
  installing ??= locateOrInstall();
  return installing;
}

/** Runs the installed hutch as the test user; never throws on a non-zero exit. */
export async function hutch(args: readonly string[], options: HutchOptions = {}): Promise<RunResult> {
  const bin = await installedHutch();
  const store = options.store === undefined ? await makeStore() : options.store;
  try {
    return await runAsTestUser(bin, [...storeArgs(store), ...args], options);
  } finally {
    if (options.store === undefined) await store?.remove();
  }
}

/** Starts the installed hutch and returns the running subprocess (for signal and stdin tests). */
export async function spawnHutch(args: readonly string[], options: RunOptions & { store: HutchStore | null }): Promise<{ subprocess: ResultPromise<Options & { reject: false }> }> {
  const bin = await installedHutch();
  // Wrapped in an object: an async function returning the subprocess itself would wait for it to end.
  return { subprocess: spawnAsTestUser(bin, [...storeArgs(options.store), ...args], options) };
}

/** Creates empty storage and runtime-state locations owned by the test user. */
export async function makeStore(): Promise<HutchStore> {
  const base = await makeTestUserDir('hutch-e2e-store-');
  return { root: join(base, 'root'), runroot: join(base, 'runroot'), remove: () => removeTree(base) };
}

function storeArgs(store: HutchStore | null): string[] {
  return store === null ? [] : ['--root', store.root, '--runroot', store.runroot];
}

// Layers hold files owned by subordinate ids, which their user cannot delete outside a user namespace.
async function removeTree(dir: string): Promise<void> {
  const direct = await rm(dir, { recursive: true, force: true }).then(() => null, (err: unknown) => err);
  if (direct === null || switchesUser()) {
    if (direct !== null) throw direct;
    return;
  }
  const result = await execa('unshare', ['--map-auto', '--map-root-user', 'rm', '-rf', '--', dir], { reject: false });
  if (result.failed) throw new Error(`cannot remove ${dir}: ${String(direct)}; in a user namespace: ${result.stderr}`);
}

async function locateOrInstall(): Promise<string> {
  const given = process.env.HUTCH_E2E_BIN;
  if (given !== undefined && given !== '') {
    await access(given, constants.X_OK).catch(() => {
      throw new Error(`HUTCH_E2E_BIN=${given} is not an executable file`);
    });
    return given;
  }
  const prefix = join(CACHE, (await sourceDigest()).slice(0, 16));
  const bin = join(prefix, 'bin', 'hutch');
  const marker = join(prefix, '.installed');
  if (await exists(marker)) return bin;
  await mkdir(CACHE, { recursive: true, mode: 0o755 });
  const lock = `${prefix}.lock`;
  await acquire(lock);
  try {
    if (!(await exists(marker))) await install(prefix);
    await writeFile(marker, new Date().toISOString());
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
  await pruneOldInstalls(prefix);
  return bin;
}

async function install(prefix: string): Promise<void> {
  await rm(prefix, { recursive: true, force: true });
  await mkdir(prefix, { mode: 0o755 });
  const packDir = await mkdtemp(join(tmpdir(), 'hutch-e2e-pack-'));
  try {
    // npm pack runs `prepare` (tsc), so dist/ in the tarball matches the sources.
    await npm(['pack', '--pack-destination', packDir], REPO);
    const tarball = (await readdir(packDir)).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack wrote no tarball into ${packDir}`);
    // The addon is compiled by node-gyp from the tarball, as for a user; --prefer-offline reuses npm's cache.
    await npm(['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(packDir, tarball)], packDir);
    // The test user must be able to read and run everything regardless of the installer's umask.
    await execa('chmod', ['-R', 'go+rX', prefix]);
  } finally {
    await rm(packDir, { recursive: true, force: true });
  }
}

async function npm(args: string[], cwd: string): Promise<void> {
  const result = await execa('npm', args, { cwd, reject: false, all: true, env: await nodeGypEnv() });
  if (result.failed) throw new Error(`npm ${args.join(' ')} failed (${result.shortMessage}):\n${result.all.slice(-4000)}`);
}

// node-gyp downloads Node's headers unless told where they are; use the installed ones so it works offline.
async function nodeGypEnv(): Promise<Record<string, string>> {
  if (process.env.npm_config_nodedir !== undefined) return {};
  const configured = await execa('npm', ['config', 'get', 'nodedir'], { reject: false });
  if (configured.exitCode === 0 && !['', 'undefined', 'null'].includes(configured.stdout.trim())) return {};
  const prefix = dirname(dirname(process.execPath));
  return (await exists(join(prefix, 'include', 'node', 'node_api.h'))) ? { npm_config_nodedir: prefix } : {};
}

async function sourceDigest(): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (dir === REPO && IGNORED.has(entry.name)) continue;
      if (entry.name.endsWith('.tgz')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.isFile()) {
        hash.update(`${relative(REPO, path)}\0`).update(await readFile(path)).update('\0');
      }
    }
  };
  await walk(REPO);
  hash.update(process.version);
  return hash.digest('hex');
}

// mkdir is atomic, so it serves as a lock between test workers installing the same sources.
// The holder writes its pid into it: a lock whose holder died (a test run
// killed mid-install) is taken over instead of waited out.
async function acquire(lock: string): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await holderIsGone(lock)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another test process has held ${lock} for ${LOCK_WAIT_MS / 60_000} minutes; remove it if stale`);
      await sleep(250);
    }
  }
}

async function holderIsGone(lock: string): Promise<boolean> {
  const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
  // No pid yet: the holder is between its mkdir and its write.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function pruneOldInstalls(current: string): Promise<void> {
  for (const name of await readdir(CACHE)) {
    const path = join(CACHE, name);
    if (path === current || name.endsWith('.lock')) continue;
    const info = await stat(path).catch(() => null);
    if (info !== null && Date.now() - info.mtimeMs > STALE_INSTALL_MS) await rm(path, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}
