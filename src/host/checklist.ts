// `hutch doctor`'s checklist: a pure function from the host report to items,
// each failing one with the exact commands that fix it on the common distros.
// Required items decide doctor's exit status; recommended ones only degrade
// features (resource limits, networking, rootfs speed).
import { cgroupProblem, containerParent, LIMIT_CONTROLLERS } from './cgroup.js';
import type { DistroFamily } from './distro.js';
import type { HostReport } from './report.js';
import { NETWORK_FILESYSTEMS } from './storage-space.js';

/** One line of the checklist. */
export interface ChecklistItem {
  id: string;
  title: string;
  ok: boolean;
  severity: 'required' | 'recommended';
  /** What was found. */
  detail: string;
  /** Commands or steps that fix a failing item (empty when ok). */
  fix: string[];
}

type PerFamily = Record<Exclude<DistroFamily, 'unknown'>, string>;

const FAMILY_LABEL: PerFamily = { debian: 'Debian/Ubuntu', fedora: 'Fedora/RHEL', arch: 'Arch' };

/** The family's command, or every family's, labelled, when the distro is unknown. */
function perDistro(family: DistroFamily, commands: PerFamily): string[] {
  if (family !== 'unknown') return [commands[family]];
  return (Object.keys(commands) as (keyof PerFamily)[]).map((f) => `${FAMILY_LABEL[f]}: ${commands[f]}`);
}

const GiB = 1024 ** 3;
const MIN_FREE = GiB;

function sysctlFix(name: string, value: number): string[] {
  return [
    `sudo sysctl -w ${name}=${value}`,
    `echo '${name}=${value}' | sudo tee /etc/sysctl.d/60-hutch-userns.conf`,
  ];
}

function apparmorProfile(report: HostReport): string[] {
  const runtime = report.runtime.runtimeExecutable ?? '/usr/lib/node_modules/hutch/build/Release/hutch-runtime';
  return [
    "sudo tee /etc/apparmor.d/hutch >/dev/null <<'EOF'",
    'abi <abi/4.0>,',
    'include <tunables/global>',
    '',
    `profile hutch ${report.runtime.node} flags=(unconfined) {`,
    '  userns,',
    '  include if exists <local/hutch>',
    '}',
    '',
    `profile hutch-runtime ${runtime} flags=(unconfined) {`,
    '  userns,',
    '  include if exists <local/hutch-runtime>',
    '}',
    'EOF',
    'sudo apparmor_parser -r /etc/apparmor.d/hutch',
  ];
}

function userLabel(report: HostReport): string {
  return report.user.name ?? `uid ${report.user.uid}`;
}

function subidItems(report: HostReport): ChecklistItem[] {
  const { subuid, subgid } = report.idmaps;
  const name = report.user.name ?? 'USER';
  const { start, count } = report.idmaps.suggestedRange;
  const range = `${start}-${start + count - 1}`;
  const missing = [subuid.total === 0 ? `--add-subuids ${range}` : '', subgid.total === 0 ? `--add-subgids ${range}` : ''].filter(Boolean);
  const fix = [`sudo usermod ${missing.join(' ')} ${name}`];
  return ([['subuid', subuid, 'uid'], ['subgid', subgid, 'gid']] as const).map(([id, file, kind]) => {
    if (!report.user.rootless) {
      return { id, title: `Subordinate ${kind} range`, ok: true, severity: 'required', detail: 'running as root: any range can be mapped', fix: [] };
    }
    const ok = file.total > 0;
    const detail = ok
      ? `${file.ranges.map((r) => `${r.start}:${r.count}`).join(', ')} in ${file.file} (${file.total} ids)`
      : `no range for ${userLabel(report)} in ${file.file}${file.readable ? '' : ` (${file.error})`}; containers would see only one ${kind}`;
    // One usermod line adds both ranges; the second item points back to it.
    const sharedFix = id === 'subgid' && subuid.total === 0 ? ['(the usermod line above adds both ranges)'] : fix;
    return { id, title: `Subordinate ${kind} range`, ok, severity: 'required', detail, fix: ok ? [] : sharedFix };
  });
}

function idToolItems(report: HostReport): ChecklistItem[] {
  const family = report.host.distro.family;
  return (['newuidmap', 'newgidmap'] as const).map((tool) => {
    const info = report.idmaps[tool];
    const title = `${tool} installed and privileged`;
    if (!report.user.rootless) return { id: tool, title, ok: true, severity: 'required', detail: 'running as root: maps are written directly', fix: [] };
    if (info.path === null) {
      return {
        id: tool, title, ok: false, severity: 'required', detail: `${tool} not found in PATH or the system directories`,
        fix: perDistro(family, { debian: 'sudo apt-get install uidmap', fedora: 'sudo dnf install shadow-utils', arch: 'sudo pacman -S shadow' }),
      };
    }
    if (!info.privileged) {
      const cap = tool === 'newuidmap' ? 'cap_setuid' : 'cap_setgid';
      return {
        id: tool, title, ok: false, severity: 'required',
        detail: `${info.path} is neither setuid root nor has ${cap}+ep, so it cannot map the subordinate ranges`,
        fix: family === 'fedora' ? [`sudo setcap ${cap}+ep ${info.path}`] : [`sudo chown root ${info.path}`, `sudo chmod u+s ${info.path}`],
      };
    }
    const how = info.setuidRoot ? 'setuid root' : `file capabilities ${info.capabilities?.join(',')}`;
    return { id: tool, title, ok: true, severity: 'required', detail: `${info.path} (${how})`, fix: [] };
  });
}

function namespaceItems(report: HostReport): ChecklistItem[] {
  const { sysctls, userNamespace, overlay } = report.namespaces;
  const rootless = report.user.rootless;
  const items: ChecklistItem[] = [];
  const clone = sysctls.unprivilegedUsernsClone;
  const cloneOk = !rootless || clone === null || clone !== 0;
  items.push({
    id: 'unprivileged-userns-clone', title: 'kernel.unprivileged_userns_clone allows user namespaces', ok: cloneOk, severity: 'required',
    detail: clone === null ? 'not present on this kernel (no restriction)' : `kernel.unprivileged_userns_clone = ${clone}`,
    fix: cloneOk ? [] : sysctlFix('kernel.unprivileged_userns_clone', 1),
  });
  const max = sysctls.maxUserNamespaces;
  const maxOk = max === null || max > 0;
  items.push({
    id: 'max-user-namespaces', title: 'user.max_user_namespaces is above 0', ok: maxOk, severity: 'required',
    detail: max === null ? 'not present on this kernel' : `user.max_user_namespaces = ${max}`,
    fix: maxOk ? [] : sysctlFix('user.max_user_namespaces', 28633),
  });
  const restrict = sysctls.apparmorRestrictUnprivilegedUserns;
  // With the restriction, unshare still succeeds but the new namespace gets no
  // capabilities (Ubuntu's unprivileged_userns profile), so mounting is what fails.
  const usable = userNamespace?.ok === true && overlay?.ok === true;
  const apparmorOk = !rootless || restrict !== 1 || usable;
  items.push({
    id: 'apparmor-userns', title: 'AppArmor allows user namespaces', ok: apparmorOk, severity: 'required',
    detail: restrict === null ? 'kernel.apparmor_restrict_unprivileged_userns not present (no restriction)'
      : `kernel.apparmor_restrict_unprivileged_userns = ${restrict}${restrict === 1 && usable ? ' (a profile already allows hutch)' : ''}`,
    fix: apparmorOk ? [] : [
      '# either allow hutch through an AppArmor profile:',
      ...apparmorProfile(report),
      '# or lift the restriction for every program:',
      ...sysctlFix('kernel.apparmor_restrict_unprivileged_userns', 0),
    ],
  });
  const blockedBySysctl = !cloneOk || !maxOk || !apparmorOk;
  const usernsOk = userNamespace?.ok === true;
  items.push({
    id: 'user-namespace', title: 'An unprivileged user namespace can be created', ok: usernsOk, severity: 'required',
    detail: userNamespace === null ? 'not tested: the native addon is not loaded' : usernsOk ? 'unshare(CLONE_NEWUSER) works' : `failed: ${userNamespace.error}`,
    fix: usernsOk ? [] : userNamespace === null ? ['fix the native addon item above']
      : blockedBySysctl ? ['fix the kernel setting items above']
      : ['if hutch runs inside a container (Docker, Kubernetes), its seccomp profile forbids unshare: run hutch on the host'],
  });
  return items;
}

function addonItem(report: HostReport): ChecklistItem {
  const { addon } = report.runtime;
  return {
    id: 'native-addon', title: 'Native addon is built', ok: addon.loaded, severity: 'required',
    detail: addon.loaded ? 'loaded' : `not loaded: ${addon.error}`,
    fix: addon.loaded ? [] : [
      ...perDistro(report.host.distro.family, { debian: 'sudo apt-get install g++ make python3', fedora: 'sudo dnf install gcc-c++ make python3', arch: 'sudo pacman -S base-devel python' }),
      'npm rebuild -g hutch   # or, in a source checkout: npx node-gyp rebuild',
    ],
  };
}

function runtimeItems(report: HostReport): ChecklistItem[] {
  const family = report.host.distro.family;
  const { rootfsMode, fuseOverlayfs, seccomp } = report.runtime;
  const items: ChecklistItem[] = [];
  const seccompOk = seccomp?.ok === true;
  items.push({
    id: 'seccomp', title: 'seccomp filters can be loaded (libseccomp)', ok: seccompOk, severity: 'required',
    detail: seccomp === null ? 'not tested: the native addon is not loaded'
      : seccompOk ? `libseccomp ${seccomp.libseccompVersion ?? '(version unknown)'}` : `failed: ${seccomp.error}`,
    fix: seccompOk ? [] : seccomp === null ? ['fix the native addon item above']
      : perDistro(family, { debian: 'sudo apt-get install libseccomp2', fedora: 'sudo dnf install libseccomp', arch: 'sudo pacman -S libseccomp' }),
  });
  const rootfsOk = rootfsMode !== 'copy';
  const fuseFix = fuseOverlayfs.path === null
    ? perDistro(family, { debian: 'sudo apt-get install fuse-overlayfs', fedora: 'sudo dnf install fuse-overlayfs', arch: 'sudo pacman -S fuse-overlayfs' })
    : ['sudo modprobe fuse && sudo chmod 0666 /dev/fuse   # udev normally creates /dev/fuse with mode 0666'];
  items.push({
    id: 'rootfs', title: 'Container root filesystems can use overlay', ok: rootfsOk, severity: 'recommended',
    detail: `${rootfsMode}: ${report.runtime.rootfsReason}${rootfsOk ? '' : ' (slow, uses more space)'}`,
    fix: rootfsOk ? [] : fuseFix,
  });
  return items;
}

function storageItems(report: HostReport): ChecklistItem[] {
  const { root, runroot } = report.storage;
  const name = report.user.name ?? 'USER';
  const items: ChecklistItem[] = [];
  const networkFs = NETWORK_FILESYSTEMS.has(root.fsType);
  items.push({
    id: 'storage-filesystem', title: 'Storage is on a local filesystem', ok: !networkFs, severity: 'required',
    detail: `${root.path} is on ${root.fsType}${root.exists ? '' : ` (measured at ${root.measured})`}`,
    fix: networkFs ? [
      '# overlay and extended attributes do not work on network filesystems; keep storage on a local disk:',
      `hutch --root /var/tmp/hutch-${name} ...`,
      `# or for every command: export XDG_DATA_HOME=/var/tmp/${name}-data   (storage goes to $XDG_DATA_HOME/hutch)`,
    ] : [],
  });
  const unwritable = [root, runroot].filter((loc) => !loc.writable);
  items.push({
    id: 'storage-writable', title: 'Storage and state directories are writable', ok: unwritable.length === 0, severity: 'required',
    detail: unwritable.length === 0 ? `${root.path}, ${runroot.path}` : unwritable.map((loc) => `${loc.measured} is not writable`).join('; '),
    fix: unwritable.map((loc) => `sudo chown ${name}: ${loc.measured}   # or choose another place with --${loc === root ? 'root' : 'runroot'}`),
  });
  const spaceOk = root.freeBytes >= MIN_FREE;
  items.push({
    id: 'storage-space', title: 'At least 1 GiB free for images', ok: spaceOk, severity: 'recommended',
    detail: `${(root.freeBytes / GiB).toFixed(1)} GiB free on ${root.measured}`,
    fix: spaceOk ? [] : ['free some space, or use --root on a filesystem with more room'],
  });
  return items;
}

function cgroupItems(report: HostReport): ChecklistItem[] {
  const family = report.host.distro.family;
  const { version, userService } = report.cgroups;
  const uid = report.user.uid;
  const items: ChecklistItem[] = [];
  const v2 = version === 'v2';
  const unifiedFix = [
    ...perDistro(family, {
      debian: "add systemd.unified_cgroup_hierarchy=1 to GRUB_CMDLINE_LINUX in /etc/default/grub, then: sudo update-grub",
      fedora: 'sudo grubby --update-kernel=ALL --args=systemd.unified_cgroup_hierarchy=1',
      arch: 'add systemd.unified_cgroup_hierarchy=1 to the kernel command line in your boot loader entry',
    }),
    'sudo reboot',
  ];
  items.push({
    id: 'cgroup-v2', title: 'cgroup v2 (unified hierarchy)', ok: v2, severity: 'recommended',
    detail: version === 'hybrid'
      ? 'cgroup layout: hybrid; the controllers belong to cgroup v1, so resource limits (--memory, --cpus, --pids-limit) are unavailable'
      : `cgroup layout: ${version}; without v2, resource limits (--memory, --cpus, --pids-limit) and pause are unavailable`,
    fix: v2 ? [] : unifiedFix,
  });
  if (version !== 'v2' && version !== 'hybrid') return items;
  const placement = cgroupProblem(report.cgroups, []);
  const parent = containerParent(report.cgroups);
  const dropIn = [
    'sudo mkdir -p /etc/systemd/system/user@.service.d',
    "printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf",
    'sudo systemctl daemon-reload   # then log out and back in',
  ];
  items.push({
    id: 'cgroup-delegation', title: 'A delegated cgroup v2 subtree (a cgroup per container: pause, stats)', ok: placement === null, severity: 'recommended',
    detail: placement === null
      ? report.user.rootless ? `containers get their cgroup in ${parent?.path}` : 'running as root'
      : `${placement.problem}; pause and resource limits are unavailable`,
    fix: placement === null ? [] : userService?.writable
      ? [`systemd-run --user --scope hutch run ...   # runs hutch inside user@${uid}.service, which is delegated`]
      : userService === null
        ? ['loginctl enable-linger $USER   # starts user@UID.service, which systemd delegates', ...dropIn]
        : dropIn,
  });
  if (placement !== null) return items;
  const limits = cgroupProblem(report.cgroups, Object.values(LIMIT_CONTROLLERS));
  items.push({
    id: 'cgroup-controllers', title: 'The cpu, memory and pids controllers for containers (resource limits)', ok: limits === null, severity: 'recommended',
    detail: limits === null ? 'cpu, memory and pids reach the containers\' cgroups' : `${limits.problem}; resource limits are unavailable`,
    fix: limits === null ? [] : version === 'hybrid' ? unifiedFix : dropIn,
  });
  return items;
}

function networkItem(report: HostReport): ChecklistItem {
  const { pasta, slirp4netns } = report.network;
  const ok = pasta !== null || slirp4netns !== null;
  return {
    id: 'network-helper', title: 'pasta or slirp4netns for private networking', ok, severity: 'recommended',
    detail: ok ? [pasta, slirp4netns].filter(Boolean).join(', ') : 'neither is installed; only --network none and --network host work',
    fix: ok ? [] : perDistro(report.host.distro.family, { debian: 'sudo apt-get install passt', fedora: 'sudo dnf install passt', arch: 'sudo pacman -S passt' }),
  };
}

/** Builds the doctor checklist from a host report. */
export function buildChecklist(report: HostReport): ChecklistItem[] {
  return [
    addonItem(report),
    ...subidItems(report),
    ...idToolItems(report),
    ...namespaceItems(report),
    ...runtimeItems(report),
    ...storageItems(report),
    ...cgroupItems(report),
    networkItem(report),
  ];
}

/** True when every required item passes (doctor exits 0). */
export function requiredPass(items: ChecklistItem[]): boolean {
  return items.every((item) => item.ok || item.severity !== 'required');
}
