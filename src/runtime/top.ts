// `hutch top`: the container's processes read from /proc — the init and
// every descendant — shown with the ids they have inside the container
// (NSpid, and uids mapped back through the container's uid map).
import { readdirSync, readFileSync } from 'node:fs';

/** One process of the container. */
export interface TopProcess {
  user: string;
  pid: number;
  ppid: number;
  cpuPercent: number;
  elapsedSeconds: number;
  tty: string;
  cpuSeconds: number;
  command: string;
}

export interface ProcStat {
  pid: number;
  ppid: number;
  ttyNr: number;
  utime: number;
  stime: number;
  startTime: number;
}

/** Fields of /proc/PID/stat that top needs (pure). */
export function parseStat(text: string): ProcStat {
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, ppid: Number(f[1]), ttyNr: Number(f[4]), utime: Number(f[11]), stime: Number(f[12]), startTime: Number(f[19]) };
}

/** Maps a host id back into the container through an OCI id mapping (pure); -1 when unmapped. */
export function containerIdFor(hostId: number, mappings: readonly { containerID: number; hostID: number; size: number }[]): number {
  for (const m of mappings) if (hostId >= m.hostID && hostId < m.hostID + m.size) return m.containerID + hostId - m.hostID;
  return -1;
}

/** The pids of `root` and all its descendants, from a ppid table (pure). */
export function descendants(root: number, stats: readonly ProcStat[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const found = new Set<number>([root]);
  const stack = [root];
  while (stack.length > 0) for (const child of children.get(stack.pop()!) ?? []) if (!found.has(child)) (found.add(child), stack.push(child));
  return found;
}

function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  return major === 136 ? `pts/${minor}` : '?';
}

/** Lists the processes of the container whose init is `initPid`. */
export function listContainerProcesses(initPid: number, uidMappings: readonly { containerID: number; hostID: number; size: number }[], proc = '/proc'): TopProcess[] {
  const stats: ProcStat[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.push(parseStat(readFileSync(`${proc}/${name}/stat`, 'latin1')));
    } catch {
      // The process ended while we looked.
    }
  }
  const members = descendants(initPid, stats);
  const ticks = 100;
  const uptime = Number(readFileSync(`${proc}/uptime`, 'latin1').split(' ')[0]);
  const nsPid = new Map<number, number>();
  const rows: TopProcess[] = [];
  for (const s of stats.filter((st) => members.has(st.pid))) {
    let status = '';
    let cmdline = '';
    try {
      status = readFileSync(`${proc}/${s.pid}/status`, 'latin1');
      cmdline = readFileSync(`${proc}/${s.pid}/cmdline`, 'latin1').replace(/\0+$/, '').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    const nspids = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/).map(Number) ?? [s.pid];
    nsPid.set(s.pid, nspids[nspids.length - 1]!);
    const uid = Number(/^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const inner = containerIdFor(uid, uidMappings);
    const elapsed = Math.max(0, uptime - s.startTime / ticks);
    const cpu = (s.utime + s.stime) / ticks;
    rows.push({
      user: inner === 0 ? 'root' : inner < 0 ? 'nobody' : String(inner),
      pid: s.pid,
      ppid: s.ppid,
      cpuPercent: elapsed > 0 ? (cpu / elapsed) * 100 : 0,
      elapsedSeconds: elapsed,
      tty: ttyName(s.ttyNr),
      cpuSeconds: cpu,
      command: cmdline || (/^Name:\s+(.*)$/m.exec(status)?.[1] ?? ''),
    });
  }
  return rows.map((row) => ({ ...row, pid: nsPid.get(row.pid) ?? row.pid, ppid: row.pid === initPid ? 0 : (nsPid.get(row.ppid) ?? 0) })).sort((a, b) => a.pid - b.pid);
}
