// Throwaway stores for the benchmarks: a temp directory owned by the test
// user holding the busybox OCI layout, a hutch store and a podman store that
// both hold that image, and a private XDG_RUNTIME_DIR.
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAsTestUser, switchesUser, testUser } from '../test/helpers/test-user.js';
import { planIdMapping, removeTree } from '../src/storage/userns.js';
import { writeBusyboxLayout } from './_image.js';
import { benchEnv, hutchCommand } from './_bench-user.js';

/** The temp directory and the commands that use it. */
export interface BenchStores {
  base: string;
  env: NodeJS.ProcessEnv;
  /** hutch with --root/--runroot in `base`. */
  hutch: string[];
  /** podman with --root/--runroot in `base`, or null when podman is missing. */
  podman: string[] | null;
  layout: string;
}

/** The name the busybox image is tagged with in the hutch store. */
export const HUTCH_IMAGE = 'localhost/hutch-bench:latest';

function chmodReadable(path: string): void {
  chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) chmodReadable(join(path, entry));
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      if (statSync(join(dir, name)).isFile()) return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Creates the directory, the image layout, and an empty hutch store (and podman settings when podman is installed). */
export async function makeStores(): Promise<BenchStores> {
  // Lower-case hex only: podman derives the image name from the layout path and rejects upper case.
  const base = join(tmpdir(), `hutch-bench-${randomBytes(6).toString('hex')}`);
  mkdirSync(base, { mode: 0o711 });
  const user = testUser();
  if (switchesUser()) chownSync(base, user.uid, user.gid);
  const layout = join(base, 'layout');
  await writeBusyboxLayout(layout);
  chmodReadable(layout);
  const xdg = join(base, 'xdg');
  const made = await runAsTestUser('mkdir', ['-m', '0700', xdg, join(base, 'hutch'), join(base, 'podman')]);
  if (made.exitCode !== 0) throw new Error(`mkdir in ${base}: ${made.stderr}`);
  const env = benchEnv({ XDG_RUNTIME_DIR: xdg });
  const hutch = [...hutchCommand(), '--root', join(base, 'hutch', 'root'), '--runroot', join(base, 'hutch', 'run')];
  const podmanPath = findOnPath('podman');
  // cgroupfs: there is no systemd user session to ask for a cgroup here.
  const podman = podmanPath ? [podmanPath, '--root', join(base, 'podman', 'root'), '--runroot', join(base, 'podman', 'run'), '--cgroup-manager', 'cgroupfs'] : null;
  return { base, env, hutch, podman, layout };
}

async function checked(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runAsTestUser(argv[0]!, argv.slice(1), { env: env as Record<string, string>, timeout: 300_000 });
  if (result.exitCode !== 0) throw new Error(`\`${argv.join(' ')}\` exited with ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** Pulls the layout into the hutch store and tags it HUTCH_IMAGE. */
export async function pullIntoHutch(stores: BenchStores): Promise<void> {
  await checked([...stores.hutch, 'pull', '-q', `oci:${stores.layout}`], stores.env);
  const id = (await checked([...stores.hutch, 'images', '-q'], stores.env)).trim().split('\n')[0];
  if (!id) throw new Error('hutch pull stored no image');
  await checked([...stores.hutch, 'tag', id, HUTCH_IMAGE], stores.env);
}

/** Pulls the layout into the podman store; returns the image ID to run. */
export async function pullIntoPodman(stores: BenchStores, podman: string[]): Promise<string> {
  const out = await checked([...podman, 'pull', '-q', `oci:${stores.layout}`], stores.env);
  const id = out.trim().split('\n').pop();
  if (!id) throw new Error('podman pull printed no image ID');
  return id;
}

/** Stops podman's rootless pause process (it would keep its namespaces alive) and removes the directory. */
export async function removeStores(stores: BenchStores): Promise<void> {
  try {
    const pid = Number.parseInt(readFileSync(join(stores.env.XDG_RUNTIME_DIR!, 'libpod', 'tmp', 'pause.pid'), 'utf8'), 10);
    if (pid > 1) process.kill(pid, 'SIGKILL');
  } catch {
    // podman never ran, or its pause process is gone already
  }
  // Root may delete the test user's subordinate-owned files directly; a user needs its own namespace for that.
  if (switchesUser()) rmSync(stores.base, { recursive: true, force: true });
  else await removeTree(await planIdMapping(), stores.base);
}
