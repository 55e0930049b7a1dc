// A container's status, derived — never stored — from the files the native
// monitor and runtime keep (docs/runtime-native.md, "State directory"): a pid
// alone could have been reused, so a process counts as the container's only
// when its /proc start time (stat field 22) matches the recorded one. ps reads
// these files directly instead of spawning `hutch-runtime state` per container.
// A live container whose own cgroup is frozen (cgroup.freeze) is paused.
import { readFileSync, statSync } from 'node:fs';
import type { HutchPaths } from '../paths.js';
import { cgroupFrozen } from './cgroup.js';
import { containerPaths } from './container-store.js';

/** podman's container states that hutch can be in. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'exited' | 'stopped';

/** `ROOT/ID/container.json`, written by `hutch-runtime create` once the init waits. */
export interface NativeContainerFile {
  pid: number;
  pidStartTime: number;
  created?: string;
  /** The container's own cgroup, when hutch-runtime could make one. */
  cgroupDir?: string;
}

/** `ROOT/ID/monitor.json`, written by the monitor after each start. */
export interface MonitorFile {
  monitorPid: number;
  monitorStartTime: number;
  containerPid: number;
  containerStartTime: number;
  startedAt: string;
  restartCount: number;
}

/** `ROOT/ID/exit.json`, written by the monitor after each exit. */
export interface ExitFile {
  exitCode: number;
  signal?: number;
  finishedAt: string;
  oomKilled?: boolean;
  restartCount?: number;
}

/** `containers/<id>/state.json`: the last exit, kept after the runtime state is gone. */
export interface PersistedExit {
  status: 'exited';
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  restartCount?: number;
}

/** The legacy foreground runtime state (`RUNROOT/ID/state.json` of `hutch-runtime run --state-dir`). */
export interface ForegroundRuntimeState {
  status: string;
  pid?: number;
  cgroupDir?: string;
}

/** Everything read from disk about one container, before any decision. */
export interface StateInputs {
  /** The runtime state directory exists (the container was started by the monitor). */
  runtimeDir: boolean;
  container: NativeContainerFile | null;
  execFifo: boolean;
  monitor: MonitorFile | null;
  exit: ExitFile | null;
  persisted: PersistedExit | null;
  foreground: ForegroundRuntimeState | null;
  /** Start time of a live, non-zombie process, by pid; null when there is none. */
  startTimeOf: (pid: number) => number | null;
  /** Whether a cgroup directory is frozen (cgroup.freeze). */
  frozen: (cgroupDir: string) => boolean;
}

/** What ps, inspect and the lifecycle verbs know about a container's state. */
export interface ContainerState {
  status: ContainerStatus;
  /** Host pid of the container's init while it is created, running or paused. */
  pid: number | null;
  /** The container's own cgroup while it is live, when it has one (pause, stats). */
  cgroupDir?: string;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  restartCount: number;
  /** The native monitor is alive (a restart may still happen, exit.json is yet to come). */
  monitorAlive: boolean;
  /** The runtime state directory exists and must be deleted before the next start. */
  hasRuntimeState: boolean;
}

/** Derives the status from the files (pure; unit-tested with fixtures). */
export function deriveState(inputs: StateInputs): ContainerState {
  const monitorAlive = inputs.monitor !== null && inputs.startTimeOf(inputs.monitor.monitorPid) === inputs.monitor.monitorStartTime;
  const base = {
    pid: null,
    exitCode: null,
    startedAt: inputs.monitor?.startedAt ?? inputs.persisted?.startedAt ?? null,
    finishedAt: null,
    restartCount: inputs.monitor?.restartCount ?? inputs.persisted?.restartCount ?? 0,
    monitorAlive,
    hasRuntimeState: inputs.runtimeDir,
  };
  if (inputs.runtimeDir) {
    // No container.json yet: the monitor is still creating it ("creating" in runtime-spec terms).
    if (inputs.container === null) {
      return monitorAlive || inputs.monitor === null ? { ...base, status: 'created' } : { ...base, status: 'stopped' };
    }
    const alive = inputs.startTimeOf(inputs.container.pid) === inputs.container.pidStartTime;
    if (alive) {
      const { cgroupDir } = inputs.container;
      const status = inputs.execFifo ? 'created' : cgroupDir !== undefined && inputs.frozen(cgroupDir) ? 'paused' : 'running';
      return { ...base, status, pid: inputs.container.pid, ...(cgroupDir !== undefined ? { cgroupDir } : {}) };
    }
    // A restarted container rewrites container.json; an exit.json older than the current start is stale.
    const exit = inputs.exit;
    if (exit !== null && (inputs.monitor === null || exit.finishedAt >= inputs.monitor.startedAt)) {
      return { ...base, status: 'exited', exitCode: exit.exitCode, finishedAt: exit.finishedAt };
    }
    // The init is gone but no exit was recorded: the monitor died with it, or is about to write exit.json.
    return { ...base, status: 'stopped' };
  }
  if (inputs.foreground?.status === 'running' && inputs.foreground.pid !== undefined && inputs.startTimeOf(inputs.foreground.pid) !== null) {
    const { cgroupDir } = inputs.foreground;
    return { ...base, status: cgroupDir !== undefined && inputs.frozen(cgroupDir) ? 'paused' : 'running', pid: inputs.foreground.pid, ...(cgroupDir !== undefined ? { cgroupDir } : {}) };
  }
  if (inputs.persisted !== null) {
    return { ...base, status: 'exited', exitCode: inputs.persisted.exitCode, finishedAt: inputs.persisted.finishedAt };
  }
  return { ...base, status: 'created' };
}

/** Start time (clock ticks since boot, /proc/PID/stat field 22) of a live process, or null for none or a zombie. */
export function processStartTime(pid: number, proc = '/proc'): number | null {
  let text: string;
  try {
    text = readFileSync(`${proc}/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  const start = Number(fields[19]);
  return Number.isFinite(start) ? start : null;
}

// Most of the files probed per container are absent (a created container has
// none of them): a failed open costs Node an exception with a stack trace, and
// existsSync an error context, each about ten times a stat that returns
// undefined, which is what `ps` with hundreds of containers spends its time on.
function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

function readJson<T>(path: string): T | null {
  if (!exists(path)) return null;
  try {
    const text = readFileSync(path, 'utf8');
    return text === '' ? null : (JSON.parse(text) as T);
  } catch {
    // Removed since, or caught between the monitor's create and rename: treated as not written yet.
    return null;
  }
}

/** Where a container's files live for the lifecycle. */
export interface StateLocation {
  /** containers/<id>/ in the storage root. */
  containerDir: string;
  /** The monitor's --root (the runtime state root). */
  runtimeRoot: string;
  /** The runroot, where a foreground `run` keeps its runtime-spec state. */
  runroot: string;
  id: string;
}

/**
 * The monitor's state root. Short on purpose: the attach socket
 * ROOT/<64-hex id>/attach must fit a unix socket address (108 bytes).
 */
export function runtimeRoot(paths: HutchPaths): string {
  return `${paths.runroot}/ctr`;
}

/** Where container `id`'s state files are. */
export function stateLocation(paths: HutchPaths, id: string): StateLocation {
  return { containerDir: containerPaths(paths.root, id).dir, runtimeRoot: runtimeRoot(paths), runroot: paths.runroot, id };
}

/** Reads the files of one container and derives its state. */
export function readContainerState(location: StateLocation, startTimeOf: (pid: number) => number | null = processStartTime, frozen: (cgroupDir: string) => boolean = cgroupFrozen): ContainerState {
  // Concatenation rather than path.join for the same reason as in containerPaths: ps does this per container.
  const dir = `${location.runtimeRoot}/${location.id}`;
  const runtimeDir = exists(dir);
  return deriveState({
    runtimeDir,
    container: runtimeDir ? readJson<NativeContainerFile>(`${dir}/container.json`) : null,
    execFifo: runtimeDir && exists(`${dir}/exec.fifo`),
    monitor: runtimeDir ? readJson<MonitorFile>(`${dir}/monitor.json`) : null,
    exit: runtimeDir ? readJson<ExitFile>(`${dir}/exit.json`) : null,
    persisted: readJson<PersistedExit>(`${location.containerDir}/state.json`),
    foreground: runtimeDir ? null : readJson<ForegroundRuntimeState>(`${location.runroot}/${location.id}/state.json`),
    startTimeOf,
    frozen,
  });
}
