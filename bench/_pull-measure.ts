// Wall time and memory of a command and every process it starts, sampled from
// /proc: getrusage (and `time -v`) report only the largest single process's memory,
// while a pull is a tree (hutch plus its layer appliers, podman plus its helpers).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execa } from 'execa';
import { spawnAsTestUser } from '../test/helpers/test-user.js';

/** What one measured run cost. */
export interface Measurement {
  command: string;
  exitCode: number | undefined;
  wallMs: number;
  /** Highest sum of VmRSS over the process tree at one sample (shared pages counted once per process). */
  peakTreeRssKb: number;
  /** Highest sum of Pss (smaps_rollup) over the tree: shared pages divided among their users. */
  peakTreePssKb: number;
  /** Highest VmRSS of any single process in the tree. */
  peakSingleRssKb: number;
  /** User + system CPU time of the whole tree (GNU time: the command and every descendant it waited for). */
  cpuMs: number;
  stdout: string;
  stderr: string;
}

const SAMPLE_MS = 40;
// GNU time prints the tree's CPU times on the last line of stderr; on a shared,
// loaded machine they say more about the work done than the wall time does
// (package `time`; without it the CPU time is reported as NaN).
const TIME = '/usr/bin/time';
const CPU_LINE = /^HUTCH-BENCH-CPU ([\d.]+) ([\d.]+)$/m;

function children(): Map<number, number[]> {
  const tree = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = tree.get(ppid) ?? [];
    list.push(Number(name));
    tree.set(ppid, list);
  }
  return tree;
}

function field(path: string, key: string): number {
  try {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(path, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function sampleTree(root: number): { rss: number; pss: number; single: number } {
  const tree = children();
  let rss = 0;
  let pss = 0;
  let single = 0;
  for (const stack = [root]; stack.length > 0; ) {
    const pid = stack.pop()!;
    const r = field(`/proc/${pid}/status`, 'VmRSS');
    rss += r;
    single = Math.max(single, r);
    pss += field(`/proc/${pid}/smaps_rollup`, 'Pss');
    stack.push(...(tree.get(pid) ?? []));
  }
  return { rss, pss, single };
}

/** Runs `command args` (as the test user when `asTestUser`) and samples its process tree until it exits. */
export async function measure(command: string, args: readonly string[], options: { asTestUser: boolean; env?: Record<string, string>; timeoutMs?: number }): Promise<Measurement> {
  const started = process.hrtime.bigint();
  const timeout = options.timeoutMs ?? 240_000;
  const timed = existsSync(TIME) ? [TIME, '-f', 'HUTCH-BENCH-CPU %U %S', command, ...args] : [command, ...args];
  const child = options.asTestUser
    ? spawnAsTestUser(timed[0]!, timed.slice(1), { ...(options.env ? { env: options.env } : {}), timeout })
    : execa(timed[0]!, timed.slice(1), { reject: false, env: options.env, timeout, stdin: 'ignore' });
  let peak = { rss: 0, pss: 0, single: 0 };
  const timer = setInterval(() => {
    if (child.pid === undefined) return;
    const s = sampleTree(child.pid);
    peak = { rss: Math.max(peak.rss, s.rss), pss: Math.max(peak.pss, s.pss), single: Math.max(peak.single, s.single) };
  }, SAMPLE_MS);
  const result = await child;
  clearInterval(timer);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const stderr = String(result.stderr);
  const cpu = CPU_LINE.exec(stderr);
  return {
    command: [command, ...args].join(' '),
    exitCode: result.exitCode,
    wallMs,
    peakTreeRssKb: peak.rss,
    peakTreePssKb: peak.pss,
    peakSingleRssKb: peak.single,
    cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN,
    stdout: String(result.stdout),
    stderr: stderr.replace(CPU_LINE, '').trimEnd(),
  };
}

/** Bytes a directory tree occupies on disk (du: allocated blocks, hardlinks once), read as root when possible. */
export async function diskUsage(dir: string): Promise<number> {
  const { stdout } = await execa('du', ['-sx', '--block-size=1', dir], { reject: false });
  return Number(stdout.split('\t')[0]);
}
