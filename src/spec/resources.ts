// --memory, --memory-swap, --cpus and --pids-limit (podman's syntax and
// docker's semantics) translated to runtime-spec `linux.resources`
// (config-linux.md "Control groups"); hutch-runtime writes them to the
// container's cgroup v2 files. Pure: whether the host can enforce them is
// decided elsewhere (src/runtime/resources.ts).
import { UsageError } from '../errors.js';

/** The user's resource flags, unparsed. */
export interface ResourceFlags {
  memory?: string;
  memorySwap?: string;
  cpus?: string;
  pidsLimit?: string;
}

/** The runtime-spec `linux.resources` subset hutch generates. */
export interface LinuxResources {
  /** Bytes; `swap` is memory+swap (cgroup v1's memsw), -1 for unlimited swap. */
  memory?: { limit: number; swap?: number };
  cpu?: { quota: number; period: number };
  pids?: { limit: number };
}

/** cgroup v2 CFS period, as podman and runc use by default (microseconds). */
export const CPU_PERIOD = 100_000;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

function parseSize(flag: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(value.trim());
  if (!match) throw new UsageError(`${flag}: invalid size ${JSON.stringify(value)}`, { hint: 'use a number with an optional unit b, k, m, g (e.g. 512m)' });
  return Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
}

/** Parses a podman memory size (`512m`, `1g`, `1048576`, `2kb`): binary units, case-insensitive. */
export function parseMemory(value: string): number {
  const bytes = parseSize('--memory', value);
  // The kernel refuses memory.max below a few pages; podman's floor is 6 MiB.
  if (bytes < 6 * 1024 * 1024) throw new UsageError(`--memory ${value}: the minimum is 6m`);
  return bytes;
}

/**
 * --memory-swap, docker's memory+swap total: -1 is unlimited swap, otherwise
 * at least --memory (equal: no swap). Without it a container may use as much
 * swap as memory (the total is twice --memory).
 */
export function parseMemorySwap(value: string | undefined, memory: number): number {
  if (value === undefined) return 2 * memory;
  if (value.trim() === '-1') return -1;
  const total = parseSize('--memory-swap', value);
  if (total < memory) throw new UsageError(`--memory-swap ${value}: must be at least --memory (it counts memory plus swap)`, { hint: 'give -1 for unlimited swap, or a total no smaller than --memory' });
  return total;
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
  if (flags.memorySwap !== undefined && flags.memory === undefined) {
    throw new UsageError('--memory-swap needs --memory (it is the total of memory and swap)');
  }
  if (flags.memory !== undefined) {
    const limit = parseMemory(flags.memory);
    resources.memory = { limit, swap: parseMemorySwap(flags.memorySwap, limit) };
  }
  if (flags.cpus !== undefined) resources.cpu = parseCpus(flags.cpus);
  if (flags.pidsLimit !== undefined) {
    const limit = parsePidsLimit(flags.pidsLimit);
    if (limit !== undefined) resources.pids = { limit };
  }
  return Object.keys(resources).length > 0 ? resources : undefined;
}

/** The flags that asked for these limits, for messages. */
export function limitFlags(resources: LinuxResources): ('--memory' | '--cpus' | '--pids-limit')[] {
  return [...(resources.memory ? ['--memory' as const] : []), ...(resources.cpu ? ['--cpus' as const] : []), ...(resources.pids ? ['--pids-limit' as const] : [])];
}
