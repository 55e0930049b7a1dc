// cgroup version and delegation. Rootless containers can only get resource
// limits from a cgroup v2 subtree the user may write to — systemd delegates
// user@UID.service (Delegate=) — so a plain login-session scope is not enough.
import { access, readFile, statfs } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';

/** Which hierarchy layout the host uses. */
export type CgroupVersion = 'v2' | 'hybrid' | 'v1' | 'none';

/** A cgroup v2 directory and what the user may do in it. */
export interface CgroupDirReport {
  /** Path in the cgroup2 hierarchy, e.g. "/user.slice/user-1000.slice/user@1000.service". */
  path: string;
  /** The user can create children and move processes (the directory and cgroup.procs are writable). */
  writable: boolean;
  /** cgroup.controllers: controllers available to this cgroup. */
  controllers: string[];
  /** cgroup.subtree_control: controllers enabled for its children. */
  subtreeControl: string[];
}

/** The cgroup facts hutch reports. */
export interface CgroupReport {
  version: CgroupVersion;
  /** This process's cgroup v2 path ("0::<path>" in /proc/self/cgroup), or null without a v2 hierarchy. */
  path: string | null;
  /** This process's own v2 cgroup, when a v2 hierarchy is mounted. */
  current: CgroupDirReport | null;
  /** user@UID.service, the subtree systemd delegates to the user, when it exists. */
  userService: CgroupDirReport | null;
}

/** Controllers resource limits need. */
export const WANTED_CONTROLLERS = ['cpu', 'memory', 'pids'] as const;

const CGROUP2_SUPER_MAGIC = 0x63677270;
const TMPFS_MAGIC = 0x01021994;

/** The cgroup v2 path from /proc/self/cgroup text (the "0::" line), or null. */
export function parseCgroupV2Path(text: string): string | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('0::')) return line.slice(3).trim() || '/';
  }
  return null;
}

/** Classifies the layout from the filesystem magics of /sys/fs/cgroup and /sys/fs/cgroup/unified. */
export function cgroupVersionFromMagic(rootMagic: number | null, unifiedMagic: number | null): CgroupVersion {
  if (rootMagic === CGROUP2_SUPER_MAGIC) return 'v2';
  if (rootMagic === TMPFS_MAGIC) return unifiedMagic === CGROUP2_SUPER_MAGIC ? 'hybrid' : 'v1';
  return 'none';
}

/** True when this directory lets the user apply cpu, memory and pids limits. */
export function isDelegated(dir: CgroupDirReport | null): boolean {
  return dir !== null && dir.writable && WANTED_CONTROLLERS.every((c) => dir.controllers.includes(c));
}

async function magicOf(path: string): Promise<number | null> {
  try {
    return (await statfs(path)).type;
  } catch {
    return null;
  }
}

async function words(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

async function writable(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function inspectDir(mount: string, path: string): Promise<CgroupDirReport | null> {
  const dir = join(mount, path);
  if ((await magicOf(dir)) === null) return null;
  const [dirWritable, procsWritable, controllers, subtreeControl] = await Promise.all([
    writable(dir),
    writable(join(dir, 'cgroup.procs')),
    words(join(dir, 'cgroup.controllers')),
    words(join(dir, 'cgroup.subtree_control')),
  ]);
  return { path, writable: dirWritable && procsWritable, controllers, subtreeControl };
}

/** Inspects the cgroup layout and the user's delegated subtree. */
export async function inspectCgroups(uid: number, sysfs = '/sys/fs/cgroup', procSelfCgroup = '/proc/self/cgroup'): Promise<CgroupReport> {
  const [rootMagic, unifiedMagic, selfText] = await Promise.all([
    magicOf(sysfs),
    magicOf(join(sysfs, 'unified')),
    readFile(procSelfCgroup, 'utf8').catch(() => ''),
  ]);
  const version = cgroupVersionFromMagic(rootMagic, unifiedMagic);
  const path = parseCgroupV2Path(selfText);
  const mount = version === 'v2' ? sysfs : version === 'hybrid' ? join(sysfs, 'unified') : null;
  if (mount === null || path === null) return { version, path, current: null, userService: null };
  const [current, userService] = await Promise.all([
    inspectDir(mount, path),
    inspectDir(mount, `/user.slice/user-${uid}.slice/user@${uid}.service`),
  ]);
  return { version, path, current, userService };
}
