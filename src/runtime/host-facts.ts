// The facts about this host and user that a container's config.json depends
// on: ids and subordinate ranges, rlimits, capabilities the caller may hand
// on, kernel and architecture, and where hutch's own init binary is.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { kernelRelease } from '../host/kernel-release.js';
import { readSubids } from '../host/subids.js';
import { loginName } from '../host/user.js';
import { log } from '../log.js';
import type { HostFacts, HostRlimit } from '../spec/generate.js';
import { KNOWN_CAPABILITIES } from '../spec/capabilities.js';

/** /proc/self/limits rows → RLIMIT_* names. */
const LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** Parses /proc/self/limits into soft/hard pairs (Infinity for "unlimited"). */
export function parseProcLimits(text: string): Record<string, HostRlimit> {
  const out: Record<string, HostRlimit> = {};
  for (const line of text.split('\n').slice(1)) {
    const match = /^(.+?)\s{2,}(\S+)\s+(\S+)/.exec(line);
    if (!match) continue;
    const name = LIMIT_NAMES[match[1]!.trim()];
    if (!name) continue;
    const value = (v: string) => (v === 'unlimited' ? Infinity : Number(v));
    out[name] = { soft: value(match[2]!), hard: value(match[3]!) };
  }
  return out;
}

/** Decodes a CapBnd hex mask from /proc/self/status into capability names. */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  return KNOWN_CAPABILITIES.filter((_name, bit) => (mask >> BigInt(bit)) & 1n);
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

/** Gathers HostFacts for the calling user. */
export async function gatherHostFacts(initPath: string | undefined): Promise<HostFacts> {
  const uid = process.getuid!();
  const gid = process.getgid!();
  const name = loginName();
  if (name === null) log.debug(`uid ${uid} has no passwd entry`);
  const owner = { name, uid };
  const [subuid, subgid] = await Promise.all([readSubids('/etc/subuid', owner), readSubids('/etc/subgid', owner)]);
  const status = readOr('/proc/self/status', '');
  const capBnd = /^CapBnd:\s*([0-9a-f]+)/m.exec(status)?.[1];
  const lastCap = Number.parseInt(readOr('/proc/sys/kernel/cap_last_cap', ''), 10);
  const cpuDir = '/sys/devices/system/cpu';
  const thermal = existsSync(cpuDir)
    ? readdirSync(cpuDir)
        .filter((d) => /^cpu\d+$/.test(d))
        .map((d) => `${cpuDir}/${d}/thermal_throttle`)
        .filter((p) => existsSync(p))
    : [];
  return {
    uid,
    gid,
    subuidRanges: subuid.report.ranges,
    subgidRanges: subgid.report.ranges,
    arch: process.arch,
    kernelRelease: kernelRelease(),
    rlimits: parseProcLimits(readOr('/proc/self/limits', '')),
    ...(Number.isFinite(lastCap) ? { capLastCap: lastCap } : {}),
    ...(capBnd ? { boundingSet: capabilitiesFromMask(capBnd) } : {}),
    ...(initPath ? { initPath } : {}),
    mqueue: existsSync('/proc/sys/fs/mqueue'),
    thermalThrottlePaths: thermal,
  };
}
