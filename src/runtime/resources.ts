// --memory, --cpus and --pids-limit: translated to the OCI linux.resources
// object and to cgroup v2 interface files. A rootless process can only set
// them inside a cgroup v2 subtree delegated to the user (systemd's
// user@UID.service); without one they are refused rather than ignored.
import { UsageError, HostError } from '../errors.js';
import type { CgroupReport } from '../host/cgroup.js';
import { isDelegated } from '../host/cgroup.js';

/** The user's resource flags, unparsed. */
export interface ResourceFlags {
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
}

/** runtime-spec config-linux.md "Control groups" subset hutch supports. */
export interface LinuxResources {
  memory?: { limit: number };
  cpu?: { quota: number; period: number };
  pids?: { limit: number };
}

/** cgroup v2 CFS period, as podman and runc use by default (microseconds). */
export const CPU_PERIOD = 100_000;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses a podman memory size (`512m`, `1g`, `1048576`, `2kb`): binary units, case-insensitive. */
export function parseMemory(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(value.trim());
  if (!match) throw new UsageError(`--memory: invalid size ${JSON.stringify(value)}`, { hint: 'use a number with an optional unit b, k, m, g (e.g. 512m)' });
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  // The kernel refuses memory.max below a few pages; podman's floor is 6 MiB.
  if (bytes < 6 * 1024 * 1024) throw new UsageError(`--memory ${value}: the minimum is 6m`);
  return bytes;
}

/** Parses --cpus (a positive decimal) into a CFS quota over CPU_PERIOD. */
export function parseCpus(value: string): { quota: number; period: number } {
  const cpus = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(cpus > 0)) throw new UsageError(`--cpus: invalid value ${JSON.stringify(value)}`, { hint: 'give a positive number of CPUs, e.g. 1.5' });
  const quota = Math.round(cpus * CPU_PERIOD);
  // cgroup v2 refuses a quota below 1 ms (cpu.max minimum).
  if (quota < 1000) throw new UsageError(`--cpus ${value}: the minimum is 0.01`);
  return { quota, period: CPU_PERIOD };
}

/** Parses --pids-limit; 0 and -1 mean unlimited (podman), so no limit is set. */
export function parsePidsLimit(value: string): number | undefined {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--pids-limit: invalid value ${JSON.stringify(value)}`);
  const limit = Number(value);
  if (limit === 0 || limit === -1) return undefined;
  if (limit < 0) throw new UsageError(`--pids-limit: invalid value ${JSON.stringify(value)}`, { hint: 'give a positive number, or -1 for unlimited' });
  return limit;
}

/** Translates the flags; undefined when no limit was asked for. */
export function translateResources(flags: ResourceFlags): LinuxResources | undefined {
  const resources: LinuxResources = {};
  if (flags.memory !== undefined) resources.memory = { limit: parseMemory(flags.memory) };
  if (flags.cpus !== undefined) resources.cpu = parseCpus(flags.cpus);
  if (flags.pidsLimit !== undefined) {
    const limit = parsePidsLimit(flags.pidsLimit);
    if (limit !== undefined) resources.pids = { limit };
  }
  return Object.keys(resources).length > 0 ? resources : undefined;
}

/** The cgroup v2 interface files and values for the resources (memory.max, cpu.max, pids.max). */
export function cgroupV2Files(resources: LinuxResources): Record<string, string> {
  const files: Record<string, string> = {};
  if (resources.memory) files['memory.max'] = String(resources.memory.limit);
  if (resources.cpu) files['cpu.max'] = `${resources.cpu.quota} ${resources.cpu.period}`;
  if (resources.pids) files['pids.max'] = String(resources.pids.limit);
  return files;
}

/**
 * Refuses limits the host cannot enforce for this user. hutch-runtime does
 * not create cgroups yet, so even a delegated subtree is refused, naming
 * what is missing, instead of running the container unlimited.
 */
export function requireEnforceable(resources: LinuxResources, report: CgroupReport): never {
  const flags = [resources.memory && '--memory', resources.cpu && '--cpus', resources.pids && '--pids-limit'].filter(Boolean).join(', ');
  if (report.version !== 'v2') {
    throw new HostError('ENORESOURCES', `${flags}: resource limits need the unified cgroup v2 hierarchy; this host has cgroup ${report.version}`, {
      hint: 'boot with systemd.unified_cgroup_hierarchy=1, or run without resource limits',
    });
  }
  if (!isDelegated(report.userService)) {
    const missing = report.userService === null ? 'there is no user@UID.service cgroup (no systemd user session)' : `user@UID.service is ${report.userService.writable ? `missing controllers (has: ${report.userService.controllers.join(' ') || 'none'})` : 'not writable by you'}`;
    throw new HostError('ENORESOURCES', `${flags}: rootless resource limits need a cgroup v2 subtree delegated to you with the cpu, memory and pids controllers, but ${missing}`, {
      hint: 'log in through systemd (loginctl enable-linger $USER) with Delegate=cpu memory pids for user@.service, or run without resource limits',
    });
  }
  throw new HostError('ENORESOURCES', `${flags}: your cgroup subtree is delegated, but hutch-runtime does not place containers in cgroups yet`, {
    hint: 'run without resource limits',
  });
}
