// A container's own cgroup, as hutch-runtime made it (the directory is in
// its runtime state, `cgroupDir`): pausing it through the cgroup v2 freezer
// and reading its usage. The freezer needs no controller, only a cgroup of
// the container's own; memory.current and pids.current need their controllers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HutchError } from '../errors.js';

const FREEZE_TIMEOUT_MS = 10_000;
const POLL_MS = 10;

/** The key/value lines of cgroup.events or cgroup.stat-like files ("frozen 1") (pure). */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** True when the cgroup was asked to freeze (cgroup.freeze reads 1): the container is paused. */
export function cgroupFrozen(dir: string): boolean {
  return readOrNull(join(dir, 'cgroup.freeze'))?.trim() === '1';
}

/**
 * Freezes or thaws every process of the cgroup: cgroup.freeze, then waits
 * until cgroup.events reports the state reached (a process in an
 * uninterruptible sleep is frozen only when it leaves it).
 */
export async function setCgroupFrozen(dir: string, frozen: boolean): Promise<void> {
  const file = join(dir, 'cgroup.freeze');
  try {
    writeFileSync(file, frozen ? '1' : '0');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new HutchError('EFREEZE', `cannot write ${frozen ? 1 : 0} to ${file}: ${code} (${(err as Error).message})`, {
      cause: err,
      hint: code === 'ENOENT' ? 'the container has exited (its cgroup is gone)' : 'the cgroup must be writable by you (delegated)',
    });
  }
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  for (;;) {
    const events = readOrNull(join(dir, 'cgroup.events'));
    if (events !== null && parseFlatKeyed(events).frozen === (frozen ? 1 : 0)) return;
    if (Date.now() >= deadline) {
      throw new HutchError('EFREEZE', `${dir} did not become ${frozen ? 'frozen' : 'thawed'} within ${FREEZE_TIMEOUT_MS / 1000} s (cgroup.events)`, {
        hint: 'a process in an uninterruptible sleep delays freezing; try again',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** What a container's cgroup says of its usage; null where the controller's file is absent. */
export interface CgroupUsage {
  /** memory.current */
  memoryBytes: number | null;
  /** memory.max; null when "max" or absent. */
  memoryLimit: number | null;
  /** cpu.stat usage_usec (a core file: present without the cpu controller). */
  cpuUsec: number | null;
  /** pids.current */
  pids: number | null;
}

function numberOrNull(text: string | null): number | null {
  if (text === null) return null;
  const value = text.trim();
  return /^\d+$/.test(value) ? Number(value) : null;
}

/** Reads the usage files of the cgroup at `dir`. */
export function readCgroupUsage(dir: string): CgroupUsage {
  const cpuStat = readOrNull(join(dir, 'cpu.stat'));
  return {
    memoryBytes: numberOrNull(readOrNull(join(dir, 'memory.current'))),
    memoryLimit: numberOrNull(readOrNull(join(dir, 'memory.max'))),
    cpuUsec: cpuStat === null ? null : (parseFlatKeyed(cpuStat).usage_usec ?? null),
    pids: numberOrNull(readOrNull(join(dir, 'pids.current'))),
  };
}
