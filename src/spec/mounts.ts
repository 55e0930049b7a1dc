// The container's mounts, masked and read-only paths and device nodes, as
// podman rootless generates them (runtime-tools' default mounts, podman's
// SpecGenToOCI adjustments, ProcessOptions for user mounts).
import type { OciDevice, OciMount } from './oci-types.js';
import type { UserMount } from './run-options.js';

/** Where --init's binary appears inside the container (podman uses /run/podman-init). */
export const INIT_PATH_IN_CONTAINER = '/run/hutch-init';

/** podman's default masked paths (containers/common DefaultMaskedPaths). */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
  '/sys/fs/selinux',
  '/proc/interrupts',
];

/** podman's default read-only paths (containers/common DefaultReadOnlyPaths). */
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Host mount flags a bind source sits under; a user namespace cannot clear them (MNT_LOCK_*), so they are repeated. */
export interface SourceMountFlags {
  nosuid: boolean;
  nodev: boolean;
  noexec: boolean;
}

/** Generated files bind-mounted over the image's /etc entries (host paths). */
export interface EtcFilePaths {
  hostname: string;
  hosts: string;
  resolvConf: string;
}

/** Everything the mount list depends on. */
export interface MountInput {
  network: 'none' | 'host';
  readOnly: boolean;
  readOnlyTmpfs: boolean;
  userMounts: readonly UserMount[];
  etcFiles: EtcFilePaths;
  /** Whether gid 5 (tty) is mapped in the container: devpts gets gid=5 only then, as podman checks. */
  gid5Mapped: boolean;
  /** Whether the kernel has mqueue (/proc/filesystems); podman drops /dev/mqueue otherwise. */
  mqueue: boolean;
  /** Host path of the init binary when --init is used. */
  initPath: string | undefined;
  /** statfs flags of a bind source (podman getDefaultMountOptions); unknown → none added. */
  sourceMountFlags?: (source: string) => SourceMountFlags | undefined;
}

const PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'];
const NOSUID_NOEXEC_NODEV = ['nosuid', 'noexec', 'nodev'];

function components(path: string): number {
  return path.split('/').filter((p) => p !== '').length;
}

/** The options podman's ProcessOptions produces for a user bind or tmpfs mount. */
export function processMountOptions(m: UserMount, flags: SourceMountFlags | undefined): string[] {
  const opts = m.options.filter((o) => o !== 'notmpcopyup');
  const has = (...names: string[]): boolean => m.options.some((o) => names.includes(o.split('=')[0]!));
  if (!has(...PROPAGATIONS)) opts.push(m.kind === 'bind' && has('bind') ? 'private' : 'rprivate');
  // podman: a tmpfs defaults to nosuid,nodev; a bind copies the flags its host mount has.
  const defaults = m.kind === 'tmpfs' ? { noexec: false, nosuid: true, nodev: true } : flags ?? { noexec: false, nosuid: false, nodev: false };
  if (!has('exec', 'noexec') && defaults.noexec) opts.push('noexec');
  if (!has('suid', 'nosuid') && defaults.nosuid) opts.push('nosuid');
  if (!has('dev', 'nodev') && defaults.nodev) opts.push('nodev');
  if (m.kind === 'tmpfs' && !has('tmpcopyup', 'notmpcopyup')) opts.push('tmpcopyup');
  if (m.kind === 'bind' && !has('bind', 'rbind')) opts.push('rbind');
  return opts;
}

function systemMounts(input: MountInput): OciMount[] {
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: [...NOSUID_NOEXEC_NODEV] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      // podman: with --read-only and no writable tmpfs, /dev is read-only as well.
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k', ...(input.readOnly && !input.readOnlyTmpfs ? ['ro'] : [])],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      // gid=5 would make the mount fail in a user namespace without gid 5 (podman drops it then).
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(input.gid5Mapped ? ['gid=5'] : [])],
    },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  ];
  if (input.mqueue) mounts.push({ destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: [...NOSUID_NOEXEC_NODEV] });
  if (input.network === 'host') {
    // sysfs can only be mounted by the owner of the network namespace (runc ToRootless, podman canMountSys).
    mounts.push({ destination: '/sys', type: 'bind', source: '/sys', options: ['rprivate', ...NOSUID_NOEXEC_NODEV, 'ro', 'rbind'] });
    mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: '/sys/fs/cgroup', options: ['rprivate', ...NOSUID_NOEXEC_NODEV, 'ro'] });
  } else {
    mounts.push({ destination: '/sys', type: 'sysfs', source: 'sysfs', options: [...NOSUID_NOEXEC_NODEV, 'ro'] });
    mounts.push({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', ...NOSUID_NOEXEC_NODEV, 'relatime', 'ro'] });
  }
  return mounts;
}

/**
 * The full mount list: system mounts (a user mount on the same destination
 * replaces one), the generated /etc files, the --read-only tmpfs set, user
 * mounts and the init binary, stably ordered parents first so no mount hides
 * a later one beneath it.
 */
export function buildMounts(input: MountInput): OciMount[] {
  const userDest = new Set(input.userMounts.map((m) => m.destination));
  const extra: OciMount[] = [];
  const etc: [string, string][] = [
    ['/etc/hostname', input.etcFiles.hostname],
    ['/etc/hosts', input.etcFiles.hosts],
    ['/etc/resolv.conf', input.etcFiles.resolvConf],
  ];
  for (const [destination, source] of etc) {
    if (!userDest.has(destination)) extra.push({ destination, type: 'bind', source, options: ['bind', 'rprivate'] });
  }
  if (input.readOnly && input.readOnlyTmpfs) {
    for (const destination of ['/tmp', '/var/tmp', '/run']) {
      if (!userDest.has(destination)) extra.push({ destination, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
    }
  }
  for (const m of input.userMounts) {
    const flags = m.kind === 'bind' ? input.sourceMountFlags?.(m.source) : undefined;
    extra.push({
      destination: m.destination,
      type: m.kind,
      source: m.kind === 'bind' ? m.source : 'tmpfs',
      options: processMountOptions(m, flags),
    });
  }
  if (input.initPath !== undefined) {
    extra.push({ destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: input.initPath, options: ['bind', 'private', 'ro'] });
  }
  const all = [...systemMounts(input).filter((m) => !userDest.has(m.destination)), ...extra];
  return all
    .map((m, i) => ({ m, i }))
    .sort((a, b) => components(a.m.destination) - components(b.m.destination) || a.i - b.i)
    .map(({ m }) => m);
}

/** Masked paths: podman's defaults, the host's per-cpu thermal_throttle dirs, and /sys/kernel when /sys is the host's. */
export function maskedPaths(network: 'none' | 'host', thermalThrottlePaths: readonly string[]): string[] {
  return [...DEFAULT_MASKED_PATHS, ...thermalThrottlePaths, ...(network === 'host' ? ['/sys/kernel'] : [])];
}

/** The device nodes every container gets (runtime-spec "Default Devices"); a rootless runtime bind-mounts them from the host. */
export function defaultDevices(): OciDevice[] {
  const dev = (name: string, major: number, minor: number): OciDevice => ({ path: `/dev/${name}`, type: 'c', major, minor, fileMode: 0o666, uid: 0, gid: 0 });
  return [dev('null', 1, 3), dev('zero', 1, 5), dev('full', 1, 7), dev('random', 1, 8), dev('urandom', 1, 9), dev('tty', 5, 0)];
}
