// Capability sets as podman computes them (containers/common
// pkg/capabilities MergeCapabilities + podman's securityConfigureGenerator).
import { UsageError } from '../errors.js';
import type { OciCapabilities } from './oci-types.js';

/** Every capability Linux defines, indexed by its number (capability.h, up to 6.x). */
export const KNOWN_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** podman's default_capabilities (containers.conf): Docker's set minus MKNOD, NET_RAW, AUDIT_WRITE. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

/** What the host allows: the kernel's last capability and the caller's bounding set. */
export interface CapabilityHost {
  /** /proc/sys/kernel/cap_last_cap; capabilities above it do not exist on this kernel. */
  capLastCap?: number;
  /** The caller's bounding set (CapBnd); a container can never gain more. Defaults to every supported capability. */
  boundingSet?: readonly string[];
}

/** The capabilities the running kernel supports. */
export function supportedCapabilities(host: CapabilityHost = {}): string[] {
  const last = host.capLastCap ?? KNOWN_CAPABILITIES.length - 1;
  return KNOWN_CAPABILITIES.slice(0, last + 1);
}

/**
 * Normalises one --cap-add/--cap-drop value: case-insensitive, CAP_ prefix
 * optional, `ALL` kept as is. Throws UsageError naming the flag for an unknown name.
 */
export function normalizeCapability(value: string, flag: string, host: CapabilityHost = {}): string {
  const upper = value.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!supportedCapabilities(host).includes(name)) {
    throw new UsageError(`${flag} ${value}: unknown capability \`${name}\``, {
      hint: 'capability names are listed in capabilities(7), e.g. NET_RAW or CAP_SYS_PTRACE; ALL means every one',
    });
  }
  return name;
}

function hostBounding(host: CapabilityHost): string[] {
  const supported = supportedCapabilities(host);
  return host.boundingSet ? supported.filter((c) => host.boundingSet!.includes(c)) : supported;
}

/**
 * podman's MergeCapabilities: `--cap-drop ALL` keeps only the added ones,
 * `--cap-add ALL` starts from the host bounding set, and naming one capability
 * in both lists is an error. Result sorted, restricted to the host bounding set.
 */
export function mergeCapabilities(base: readonly string[], add: readonly string[], drop: readonly string[], host: CapabilityHost = {}): string[] {
  const adds = [...new Set(add.map((c) => normalizeCapability(c, '--cap-add', host)))];
  const drops = [...new Set(drop.map((c) => normalizeCapability(c, '--cap-drop', host)))];
  const bounding = hostBounding(host);
  let result: string[];
  if (drops.includes('ALL')) {
    if (adds.includes('ALL')) throw new UsageError('--cap-add ALL and --cap-drop ALL: adding all and dropping all capabilities is not allowed');
    result = adds;
  } else {
    for (const c of adds) {
      if (drops.includes(c)) throw new UsageError(`--cap-add/--cap-drop: capability \`${c}\` cannot be both added and dropped`);
    }
    const start = adds.includes('ALL') ? bounding : [...base];
    result = [...start.filter((c) => !drops.includes(c)), ...adds.filter((c) => c !== 'ALL' && !start.includes(c))];
  }
  return [...new Set(result)].filter((c) => bounding.includes(c)).sort();
}

/**
 * The five sets for the container process. Root (uid 0): bounding = effective
 * = permitted = the merged list. Non-root, as podman does: bounding keeps the
 * merged list, and only the explicitly added capabilities go to effective,
 * permitted, inheritable and ambient (ambient is what lets a non-root process
 * keep them across execve). Inheritable is otherwise empty, like the kernel's.
 */
export function capabilitySets(opts: { capAdd: readonly string[]; capDrop: readonly string[]; uid: number }, host: CapabilityHost = {}): OciCapabilities {
  const bounding = mergeCapabilities(DEFAULT_CAPABILITIES, opts.capAdd, opts.capDrop, host);
  if (opts.uid === 0) {
    return { bounding, effective: [...bounding], permitted: [...bounding], inheritable: [], ambient: [] };
  }
  // Intersected with bounding so `--cap-add ALL --cap-drop X` cannot ask for an ambient X the bounding set lacks.
  const userCaps = mergeCapabilities([], opts.capAdd, [], host).filter((c) => bounding.includes(c));
  return { bounding, effective: userCaps, permitted: [...userCaps], inheritable: [...userCaps], ambient: [...userCaps] };
}
