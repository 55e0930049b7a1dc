// The human-readable form of `hutch info`: the report's groups as aligned
// "label: value" lines.
import { cgroupProblem, containerParent, LIMIT_CONTROLLERS, type CgroupDirReport, type CgroupReport } from './cgroup.js';
import type { IdToolReport } from './id-tools.js';
import type { ProbeOutcome } from './probes.js';
import type { HostReport } from './report.js';
import type { FuseOverlayfsReport } from './rootfs-mode.js';
import type { StorageLocationReport } from './storage-space.js';
import type { SubidFileReport } from './subids.js';

type Section = [title: string, rows: [label: string, value: string][]];

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function probe(p: ProbeOutcome | null): string {
  if (p === null) return 'not tested (native addon not loaded)';
  return p.ok ? 'yes' : `no (${p.error})`;
}

function subids(f: SubidFileReport): string {
  if (!f.readable) return `none (${f.file}: ${f.error})`;
  if (f.ranges.length === 0) return `none in ${f.file}`;
  return `${f.ranges.map((r) => `${r.start}:${r.count}`).join(', ')} (${f.total} ids, ${f.file})`;
}

function idTool(t: IdToolReport): string {
  if (t.path === null) return 'not installed';
  const how = [t.setuidRoot ? 'setuid root' : '', t.capabilities ? `caps ${t.capabilities.join(',')}` : ''].filter(Boolean).join(', ');
  return `${t.path} (${how || 'not privileged'})`;
}

function sysctl(value: number | null): string {
  return value === null ? 'absent' : String(value);
}

function location(l: StorageLocationReport): string {
  const where = l.exists ? '' : `, not created yet; measured at ${l.measured}`;
  return `${l.path} (${l.fsType}, ${bytes(l.freeBytes)} free of ${bytes(l.totalBytes)}${l.writable ? '' : ', NOT writable'}${where})`;
}

function cgroupDir(d: CgroupDirReport | null): string {
  if (d === null) return 'none';
  const controllers = d.controllers.length ? d.controllers.join(' ') : 'no controllers';
  return `${d.path} (${d.writable ? 'writable' : 'not writable'}; ${controllers})`;
}

function fuseLine(fuse: FuseOverlayfsReport): string {
  if (fuse.path === null) return 'not installed';
  const mount = fuse.mount === null ? (fuse.devFuse ? '' : ', /dev/fuse not accessible') : fuse.mount.ok ? ', FUSE mounts in a user namespace' : `, FUSE mount in a user namespace failed: ${fuse.mount.error}`;
  return `${fuse.path}${mount}`;
}

function yesOrWhyNot(report: CgroupReport, controllers: string[], yes: string): string {
  const found = cgroupProblem(report, controllers);
  return found === null ? yes : `no: ${found.problem}`;
}

function sections(r: HostReport): Section[] {
  const { sysctls } = r.namespaces;
  const fuse = r.runtime.fuseOverlayfs;
  return [
    ['host', [
      ['kernel', r.host.kernel],
      ['distribution', `${r.host.distro.prettyName} (${r.host.distro.family} family)`],
      ['architecture', `${r.host.arch} (${r.host.machine})`],
    ]],
    ['user', [
      ['name', `${r.user.name ?? '(no passwd entry)'} (uid ${r.user.uid}, gid ${r.user.gid})`],
      ['rootless', r.user.rootless ? 'yes' : 'no (running as root)'],
    ]],
    ['idmaps', [
      ['subuid ranges', subids(r.idmaps.subuid)],
      ['subgid ranges', subids(r.idmaps.subgid)],
      ['newuidmap', idTool(r.idmaps.newuidmap)],
      ['newgidmap', idTool(r.idmaps.newgidmap)],
    ]],
    ['namespaces', [
      ['user namespace', probe(r.namespaces.userNamespace)],
      ['overlay in userns', `${probe(r.namespaces.overlay)}${r.namespaces.overlay?.testedIn ? `, tested in ${r.namespaces.overlay.testedIn}` : ''}`],
      ['unprivileged_userns_clone', sysctl(sysctls.unprivilegedUsernsClone)],
      ['max_user_namespaces', sysctl(sysctls.maxUserNamespaces)],
      ['apparmor_restrict_userns', sysctl(sysctls.apparmorRestrictUnprivilegedUserns)],
    ]],
    ['storage', [
      ['root', location(r.storage.root)],
      ['runroot', location(r.storage.runroot)],
    ]],
    ['runtime', [
      ['native addon', r.runtime.addon.loaded ? 'loaded' : `not loaded (${r.runtime.addon.error})`],
      ['runtime executable', r.runtime.runtimeExecutable ?? 'not built'],
      ['rootfs mode', `${r.runtime.rootfsMode} (${r.runtime.rootfsReason})`],
      ['fuse-overlayfs', fuseLine(fuse)],
      ['seccomp', r.runtime.seccomp?.ok ? `yes (libseccomp ${r.runtime.seccomp.libseccompVersion ?? 'version unknown'})` : probe(r.runtime.seccomp)],
    ]],
    ['network', [
      ['pasta', r.network.pasta ?? 'not installed'],
      ['slirp4netns', r.network.slirp4netns ?? 'not installed'],
    ]],
    ['cgroups', [
      ['version', `${r.cgroups.version}${r.cgroups.mount ? ` (cgroup2 at ${r.cgroups.mount})` : ''}`],
      ['current cgroup', cgroupDir(r.cgroups.current)],
      ['containers in', cgroupDir(containerParent(r.cgroups))],
      ['user@.service', cgroupDir(r.cgroups.userService)],
      ['pause', yesOrWhyNot(r.cgroups, [], 'yes (cgroup v2 freezer)')],
      ['resource limits', yesOrWhyNot(r.cgroups, Object.values(LIMIT_CONTROLLERS), 'yes (cpu, memory, pids)')],
    ]],
  ];
}

/** Renders the report as grouped, aligned text. */
export function renderHostReport(report: HostReport): string {
  const all = sections(report);
  const width = Math.max(...all.flatMap(([, rows]) => rows.map(([label]) => label.length))) + 1;
  return all.map(([title, rows]) => [`${title}:`, ...rows.map(([label, value]) => `  ${`${label}:`.padEnd(width)} ${value}`)].join('\n')).join('\n');
}
