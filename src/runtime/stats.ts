// `hutch stats`: a container's CPU time, memory, process count, block I/O
// and network bytes. From its own cgroup when it has one (cpu.stat always;
// memory.current, memory.max and pids.current when those controllers are
// enabled), otherwise from /proc of its processes (the init and its
// descendants); block I/O from /proc/PID/io where readable, network bytes
// from the container's own /proc/net/dev.
import { readdirSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { readCgroupUsage } from './cgroup.js';
import { descendants, parseStat, type ProcStat } from './top.js';

/** One sample of a container's counters. */
export interface StatsSample {
  /** CPU time of all its processes, in clock ticks. */
  cpuTicks: number;
  /** Host-wide busy+idle time when sampled, in clock ticks (to turn a delta into a percentage). */
  sampledAt: number;
  memoryBytes: number;
  pids: number;
  netRxBytes: number;
  netTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  /** The cgroup's memory.max; undefined without one (the host's memory is the limit then). */
  memoryLimit?: number;
}

/** The row `stats` prints, in podman's field names. */
export interface StatsRow {
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

const TICKS_PER_SECOND = 100;
const USEC_PER_TICK = 1_000_000 / TICKS_PER_SECOND;

function readOr(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null;
  }
}

/** Sums the receive and transmit bytes of every interface in a /proc/net/dev text (pure). */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const [, counters] = line.split(':');
    if (counters === undefined) continue;
    const fields = counters.trim().split(/\s+/).map(Number);
    rx += fields[0] ?? 0;
    tx += fields[8] ?? 0;
  }
  return { rx, tx };
}

/** read_bytes and write_bytes of a /proc/PID/io text (pure). */
export function parseProcIo(text: string): { read: number; write: number } {
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { read: field('read_bytes'), write: field('write_bytes') };
}

/** Samples the counters of the container whose init is `initPid` (and whose own cgroup is `cgroupDir`, if any). */
export function sampleContainer(initPid: number, cgroupDir?: string, proc = '/proc'): StatsSample {
  const stats: ProcStat[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    const text = readOr(`${proc}/${name}/stat`);
    if (text !== null) stats.push(parseStat(text));
  }
  const members = descendants(initPid, stats);
  const sample: StatsSample = { cpuTicks: 0, sampledAt: Date.now(), memoryBytes: 0, pids: 0, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0 };
  for (const s of stats) {
    if (!members.has(s.pid)) continue;
    sample.pids++;
    sample.cpuTicks += s.utime + s.stime;
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(readOr(`${proc}/${s.pid}/status`) ?? '')?.[1];
    sample.memoryBytes += Number(rss ?? 0) * 1024;
    // Only processes whose uid is ours (container root) let us read their I/O counters.
    const io = readOr(`${proc}/${s.pid}/io`);
    if (io !== null) {
      const { read, write } = parseProcIo(io);
      sample.blockReadBytes += read;
      sample.blockWriteBytes += write;
    }
  }
  const net = readOr(`${proc}/${initPid}/net/dev`);
  if (net !== null) {
    const { rx, tx } = parseNetDev(net);
    sample.netRxBytes = rx;
    sample.netTxBytes = tx;
  }
  return cgroupDir === undefined ? sample : withCgroupUsage(sample, readCgroupUsage(cgroupDir));
}

/** The cgroup's counters replace what /proc gave, where it has them (pure). */
export function withCgroupUsage(sample: StatsSample, usage: ReturnType<typeof readCgroupUsage>): StatsSample {
  return {
    ...sample,
    ...(usage.cpuUsec !== null ? { cpuTicks: usage.cpuUsec / USEC_PER_TICK } : {}),
    ...(usage.memoryBytes !== null ? { memoryBytes: usage.memoryBytes } : {}),
    ...(usage.pids !== null ? { pids: usage.pids } : {}),
    ...(usage.memoryLimit !== null ? { memoryLimit: usage.memoryLimit } : {}),
  };
}

/** The printable row from two samples of one container (pure). */
export function statsRow(id: string, name: string, before: StatsSample, after: StatsSample, humanSize: (n: number) => string, hostMemory = totalmem()): StatsRow {
  const memoryLimit = after.memoryLimit ?? hostMemory;
  const seconds = Math.max(0.001, (after.sampledAt - before.sampledAt) / 1000);
  const cpu = ((after.cpuTicks - before.cpuTicks) / TICKS_PER_SECOND / seconds) * 100;
  return {
    ID: id.slice(0, 12),
    Name: name,
    CPUPerc: `${Math.max(0, cpu).toFixed(2)}%`,
    MemUsage: `${humanSize(after.memoryBytes)} / ${humanSize(memoryLimit)}`,
    MemPerc: `${((after.memoryBytes / memoryLimit) * 100).toFixed(2)}%`,
    NetIO: `${humanSize(after.netRxBytes)} / ${humanSize(after.netTxBytes)}`,
    BlockIO: `${humanSize(after.blockReadBytes)} / ${humanSize(after.blockWriteBytes)}`,
    PIDs: String(after.pids),
  };
}
