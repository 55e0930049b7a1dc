// A cgroup v2 subtree delegated to the test user, made the way systemd's
// Delegate= makes user@UID.service: a cgroup owned by the user (its directory
// and its cgroup.procs, cgroup.subtree_control and cgroup.threads), and in it
// a child `session` where the test's commands start — so hutch makes the
// containers' cgroups in the delegated one, beside the session, as it would
// beside a `systemd-run --user --scope` scope. Making one needs root (as
// .ci/run runs the tests); elsewhere the tests that need one are skipped with
// the reason. The same without the chown is a cgroup that is not delegated
// (like a login session's scope). Nothing of it is left behind.
import { chown, mkdir, readdir, readFile, rmdir, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { switchesUser, testUser } from './test-user.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;
// What systemd chowns to the user of a delegated unit.
const DELEGATED_FILES = ['', 'cgroup.procs', 'cgroup.subtree_control', 'cgroup.threads'];

/** A cgroup and the session cgroup below it. */
export interface TestCgroup {
  /** Where the cgroup v2 hierarchy is mounted. */
  mount: string;
  /** The cgroup's directory: containers' cgroups (hutch-<id>) are made in it when it is delegated. */
  dir: string;
  /** The directory of the cgroup commands start in (a child of `dir`). */
  session: string;
  /** Controllers the cgroup can give its children (its cgroup.controllers). */
  controllers: string[];
  /** The directories of the containers' cgroups in it now. */
  containerCgroups(): Promise<string[]>;
  /** Kills what is left in it and removes it. */
  remove(): Promise<void>;
}

/** The mounted cgroup v2 hierarchy (/sys/fs/cgroup, or /sys/fs/cgroup/unified in a hybrid layout), or null. */
export async function cgroup2Mount(): Promise<string | null> {
  for (const dir of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if ((await statfs(dir).catch(() => null))?.type === CGROUP2_SUPER_MAGIC) return dir;
  }
  return null;
}

/** Why no delegated cgroup can be made here, or null when it can. */
export async function delegationUnavailable(): Promise<string | null> {
  if (!switchesUser()) return 'making a delegated cgroup needs root (the suite runs as root under .ci/run)';
  const mount = await cgroup2Mount();
  if (mount === null) return 'no cgroup v2 hierarchy is mounted (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified is cgroup2)';
  const probe = join(mount, `hutch-e2e-probe-${process.pid}`);
  try {
    await mkdir(probe);
  } catch (err) {
    return `cannot create a cgroup in ${mount}: ${(err as Error).message}`;
  }
  const freezer = await readFile(join(probe, 'cgroup.freeze'), 'utf8').then(() => null, () => `${mount} has no cgroup.freeze (the cgroup v2 freezer needs Linux 5.2)`);
  await rmdir(probe);
  return freezer;
}

/**
 * Why the cgroups made here cannot have `controllers` (the hierarchy's root
 * does not enable them for its children), or null when they can.
 */
export async function controllersUnavailable(controllers: readonly string[]): Promise<string | null> {
  const mount = await cgroup2Mount();
  if (mount === null) return 'no cgroup v2 hierarchy is mounted';
  const words = async (file: string) => (await readFile(join(mount, file), 'utf8').catch(() => '')).split(/\s+/).filter(Boolean);
  const [enabled, available] = await Promise.all([words('cgroup.subtree_control'), words('cgroup.controllers')]);
  const missing = controllers.filter((c) => !enabled.includes(c));
  if (missing.length === 0) return null;
  return `${mount}/cgroup.subtree_control does not give ${missing.join(', ')} to its children (cgroup.controllers: ${available.join(' ') || 'none'}${mount.endsWith('/unified') ? '; in this hybrid layout the others belong to cgroup v1' : ''})`;
}

let made = 0;

/** Makes a cgroup with a session cgroup in it, delegated to the test user or not (call delegationUnavailable() first). */
export async function makeTestCgroup(delegated = true): Promise<TestCgroup> {
  const mount = await cgroup2Mount();
  if (mount === null) throw new Error('no cgroup v2 hierarchy');
  const dir = join(mount, `hutch-e2e-${process.pid}-${made++}`);
  const session = join(dir, 'session');
  await mkdir(session, { recursive: true });
  const { uid, gid } = testUser();
  for (const cgroup of delegated ? [dir, session] : []) {
    for (const file of DELEGATED_FILES) await chown(join(cgroup, file), uid, gid);
  }
  const controllers = (await readFile(join(dir, 'cgroup.controllers'), 'utf8')).split(/\s+/).filter(Boolean);
  return {
    mount,
    dir,
    session,
    controllers,
    containerCgroups: async () => (await readdir(dir)).filter((name) => name.startsWith('hutch-')).map((name) => join(dir, name)),
    remove: () => removeCgroup(dir),
  };
}

// cgroup.kill ends whatever a failed test left running; a cgroup goes once empty, children first.
async function removeCgroup(dir: string): Promise<void> {
  await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => undefined);
  for (let attempt = 0; attempt < 200; attempt++) {
    const events = await readFile(join(dir, 'cgroup.events'), 'utf8').catch(() => 'populated 0');
    if (/^populated 0$/m.test(events)) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const removeTree = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      if (entry.isDirectory()) await removeTree(join(path, entry.name));
    }
    await rmdir(path);
  };
  await removeTree(dir);
}
