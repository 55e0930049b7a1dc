// cgroup v2 facts for containers. hutch-runtime gives each container its own
// cgroup `hutch-<id>` beside the caller's: in the parent of the caller's
// cgroup, runc's rule for relative cgroup paths, because the caller's own
// cgroup holds processes and cgroup v2 lets a cgroup hand controllers to its
// children only when it holds none. Rootless, that parent must be delegated
// to the user (owned by them, as systemd's Delegate= does for
// user@UID.service and everything below it), and each controller a limit
// needs must reach it: enabled in cgroup.subtree_control of every ancestor,
// or enableable there by the user. The freezer (cgroup.freeze) needs no
// controller. Everything here reads files; the decisions are pure functions.
import { readFile, stat, statfs } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** Which hierarchy layout the host uses. */
export type CgroupVersion = 'v2' | 'hybrid' | 'v1' | 'none';

/** A cgroup v2 directory and what the user may do in it. */
export interface CgroupDirReport {
  /** Path in the cgroup2 hierarchy, e.g. "/user.slice/user-1000.slice/user@1000.service". */
  path: string;
  /** The user can create cgroups in it and move processes through it (the directory and cgroup.procs are writable). */
  writable: boolean;
  /** The user can enable controllers for its children (cgroup.subtree_control is writable). */
  subtreeWritable: boolean;
  /** cgroup.controllers: controllers available to this cgroup. */
  controllers: string[];
  /** cgroup.subtree_control: controllers enabled for its children. */
  subtreeControl: string[];
  /** cgroup.procs lists processes of its own (then no controller can be enabled for its children, unless it is the root). */
  hasProcesses: boolean;
}

/** The cgroup facts hutch reports and decides with. */
export interface CgroupReport {
  version: CgroupVersion;
  /** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified in a hybrid layout). */
  mount: string | null;
  /** This process's cgroup v2 path ("0::<path>" in /proc/self/cgroup), or null. */
  path: string | null;
  /** This process's own cgroup. */
  current: CgroupDirReport | null;
  /** The hierarchy's root down to the parent of this process's cgroup, where container cgroups are made (root first). */
  chain: CgroupDirReport[];
  /** user@UID.service, the subtree systemd delegates to the user, when it exists. */
  userService: CgroupDirReport | null;
}

/** Why containers cannot get a cgroup (or a controller) here, and what to do. */
export interface CgroupProblem {
  problem: string;
  hint: string;
}

/** The controllers resource limits need, by flag. */
export const LIMIT_CONTROLLERS = { '--memory': 'memory', '--cpus': 'cpu', '--pids-limit': 'pids' } as const;

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

/** The user a permission is checked for. */
export interface CgroupUser {
  uid: number;
  gids: readonly number[];
}

/** The kernel's permission check for writing (cgroupfs has no ACLs; root writes anything). */
export function canWrite(file: { mode: number; uid: number; gid: number }, user: CgroupUser): boolean {
  if (user.uid === 0) return true;
  if (file.uid === user.uid) return (file.mode & 0o200) !== 0;
  if (user.gids.includes(file.gid)) return (file.mode & 0o020) !== 0;
  return (file.mode & 0o002) !== 0;
}

/** The cgroup containers are made in: the parent of this process's cgroup. */
export function containerParent(report: CgroupReport): CgroupDirReport | null {
  return report.chain.at(-1) ?? null;
}

function dirOf(report: CgroupReport, path: string): string {
  const mount = report.mount ?? '/sys/fs/cgroup';
  return path === '/' ? mount : posix.join(mount, path);
}

function listOrNone(words: string[]): string {
  return words.length > 0 ? words.join(' ') : 'none';
}

const SCOPE_HINT = 'run hutch inside a cgroup delegated to you, e.g. `systemd-run --user --scope hutch ...`';

function delegationHint(report: CgroupReport): string {
  const service = report.userService;
  if (service?.writable) return `${SCOPE_HINT} (systemd delegates ${service.path} to you)`;
  return `${SCOPE_HINT}; that needs a systemd user session (\`loginctl enable-linger $USER\`, then log in again). Without systemd, root can make a cgroup, chown it and its cgroup.procs, cgroup.subtree_control and cgroup.threads to you, and move your shell into a child of it`;
}

/**
 * Why this process cannot give a container a cgroup of its own with
 * `controllers` in it, or null when it can (pure).
 */
export function cgroupProblem(report: CgroupReport, controllers: readonly string[]): CgroupProblem | null {
  if (report.version === 'v1' || report.version === 'none' || report.mount === null) {
    return {
      problem: `this host has no cgroup v2 hierarchy (cgroup layout: ${report.version})`,
      hint: 'boot with systemd.unified_cgroup_hierarchy=1 (the kernel command line) to get cgroup v2',
    };
  }
  const parent = containerParent(report);
  if (report.path === null || parent === null) {
    return { problem: 'this process has no cgroup v2 entry ("0::") in /proc/self/cgroup', hint: 'run hutch on a host with a cgroup v2 hierarchy' };
  }
  if (!parent.writable) {
    return {
      problem: `${dirOf(report, parent.path)}, the parent of your cgroup ${report.path}, is not delegated to you (its directory or cgroup.procs is not writable by you)`,
      hint: delegationHint(report),
    };
  }
  // Top down: below the root, a cgroup has a controller when its parent
  // enables it, which the previous step made sure of.
  for (const controller of controllers) {
    for (const [i, level] of report.chain.entries()) {
      if (level.subtreeControl.includes(controller)) continue;
      const dir = dirOf(report, level.path);
      if (i === 0 && !level.controllers.includes(controller)) {
        const hybrid = report.version === 'hybrid';
        return {
          problem: `the ${controller} controller is not available in ${dir} (cgroup.controllers: ${listOrNone(level.controllers)})${hybrid ? ': this hybrid layout binds it to cgroup v1' : ''}`,
          hint: hybrid
            ? 'boot with systemd.unified_cgroup_hierarchy=1 so that the controllers belong to cgroup v2'
            : 'delegate it: a drop-in /etc/systemd/system/user@.service.d/delegate.conf with `[Service]` `Delegate=cpu cpuset io memory pids`, then `sudo systemctl daemon-reload` and log in again',
        };
      }
      if (!level.subtreeWritable) {
        return {
          problem: `the ${controller} controller is not enabled in ${dir}/cgroup.subtree_control, which is not writable by you`,
          hint: `ask for it to be delegated (Delegate=${controller} in the systemd unit that owns ${level.path}), or ${SCOPE_HINT}`,
        };
      }
      if (level.hasProcesses && i > 0) {
        return {
          problem: `the ${controller} controller is not enabled in ${dir}/cgroup.subtree_control, and ${dir} has processes of its own, so it cannot be (cgroup v2 enables controllers for children only in a cgroup without processes)`,
          hint: `move the processes of ${dir} into a child cgroup, or ${SCOPE_HINT}`,
        };
      }
    }
  }
  return null;
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

async function writable(path: string, user: CgroupUser): Promise<boolean> {
  try {
    return canWrite(await stat(path), user);
  } catch {
    return false;
  }
}

/** Reads one cgroup directory below `mount`; null when it does not exist. */
export async function inspectCgroupDir(mount: string, path: string, user: CgroupUser): Promise<CgroupDirReport | null> {
  const dir = join(mount, path);
  try {
    if (!(await stat(dir)).isDirectory()) return null;
  } catch {
    return null;
  }
  const [dirWritable, procsWritable, subtreeWritable, controllers, subtreeControl, procs] = await Promise.all([
    writable(dir, user),
    writable(join(dir, 'cgroup.procs'), user),
    writable(join(dir, 'cgroup.subtree_control'), user),
    words(join(dir, 'cgroup.controllers')),
    words(join(dir, 'cgroup.subtree_control')),
    words(join(dir, 'cgroup.procs')),
  ]);
  return { path, writable: dirWritable && procsWritable, subtreeWritable, controllers, subtreeControl, hasProcesses: procs.length > 0 };
}

/** The hierarchy paths from the root down to the parent of `own` ("/a/b/c" → "/", "/a", "/a/b"). */
export function ancestorsOf(own: string): string[] {
  const parts = own.split('/').filter(Boolean);
  return parts.length === 0 ? ['/'] : parts.map((_, i) => `/${parts.slice(0, i).join('/')}`);
}

/** Inspects a cgroup v2 hierarchy mounted at `mount` for a process in cgroup `own` (a fixture tree works too). */
export async function inspectHierarchy(mount: string, own: string, user: CgroupUser): Promise<Pick<CgroupReport, 'current' | 'chain' | 'userService'>> {
  const [current, chain, userService] = await Promise.all([
    inspectCgroupDir(mount, own, user),
    Promise.all(ancestorsOf(own).map((path) => inspectCgroupDir(mount, path, user))),
    inspectCgroupDir(mount, `/user.slice/user-${user.uid}.slice/user@${user.uid}.service`, user),
  ]);
  return { current, chain: chain.filter((d): d is CgroupDirReport => d !== null), userService };
}

/** Inspects the host's cgroup layout for the calling user. */
export async function inspectCgroups(user: CgroupUser, sysfs = '/sys/fs/cgroup', procSelfCgroup = '/proc/self/cgroup'): Promise<CgroupReport> {
  const [rootMagic, unifiedMagic, selfText] = await Promise.all([
    magicOf(sysfs),
    magicOf(join(sysfs, 'unified')),
    readFile(procSelfCgroup, 'utf8').catch(() => ''),
  ]);
  const version = cgroupVersionFromMagic(rootMagic, unifiedMagic);
  const path = parseCgroupV2Path(selfText);
  const mount = version === 'v2' ? sysfs : version === 'hybrid' ? join(sysfs, 'unified') : null;
  if (mount === null || path === null) return { version, mount, path, current: null, chain: [], userService: null };
  return { version, mount, path, ...(await inspectHierarchy(mount, path, user)) };
}

/** The calling process's identity for permission checks. */
export function currentCgroupUser(): CgroupUser {
  return { uid: process.getuid?.() ?? 0, gids: [process.getegid?.() ?? 0, ...(process.getgroups?.() ?? [])] };
}
