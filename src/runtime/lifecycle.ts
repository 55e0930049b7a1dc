// The container state machine (created → running → exited/stopped →
// removed): start through the native monitor (which outlives this process),
// stop, kill, remove, wait, restart and the cleanup the monitor triggers on
// exit. Every verb checks the derived state first and refuses an illegal
// transition without changing anything (runtime-spec: a failed operation
// leaves the state as if it were never attempted).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CannotInvokeError, CommandNotFoundError, HutchError, NotFoundError, UsageError } from '../errors.js';
import { runtimeExecutablePath } from '../native/index.js';
import type { HutchPaths } from '../paths.js';
import { ensurePrivateDir } from '../paths.js';
import { writeFileAtomic } from '../storage/atomic-file.js';
import type { Store } from '../storage/store.js';
import { containerPaths, findContainer, listContainers, removeContainerFiles, requireContainer, type ContainerRecord } from './container-store.js';
import { readContainerState, runtimeRoot, stateLocation, type ContainerState, type ExitFile, type ForegroundRuntimeState, type MonitorFile, type PersistedExit } from './container-state.js';
import { formatRestartPolicy, type RestartPolicy } from './restart-policy.js';

/** An illegal transition: the container is in a state the verb cannot act on (podman's "container state improper"). */
export class ContainerStateError extends HutchError {
  constructor(message: string, hint?: string) {
    super('ESTATE', message, hint === undefined ? {} : { hint });
  }
}

/** How a detached container is run by the monitor; kept in the record's createOptions. */
export interface MonitorSettings {
  tty: boolean;
  interactive: boolean;
  restart: RestartPolicy;
  /** --log-opt max-size in bytes. */
  logMaxSize?: number;
}

/** The log file the monitor writes (k8s-file format). */
export function logPath(root: string, id: string): string {
  return join(containerPaths(root, id).dir, 'ctr.log');
}

/** The monitor settings stored at create (defaults for containers made by a foreground run). */
export function monitorSettings(record: ContainerRecord): MonitorSettings {
  const options = record.createOptions as { tty?: boolean; interactive?: boolean; restart?: RestartPolicy; logMaxSize?: number };
  return {
    tty: Boolean(options.tty),
    interactive: Boolean(options.interactive),
    restart: options.restart ?? { name: 'no' },
    ...(options.logMaxSize !== undefined ? { logMaxSize: options.logMaxSize } : {}),
  };
}

/** The command the monitor runs when it ends: this CLI's hidden `container cleanup ID`. */
export function cleanupCommand(paths: HutchPaths, id: string): string[] {
  // Under tsx (tests, development) the sources run directly.
  const entry = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../cli/main.ts' : '../cli/main.js', import.meta.url));
  return [process.execPath, ...process.execArgv, entry, '--root', paths.root, '--runroot', paths.runroot, 'container', 'cleanup', id];
}

/** `hutch-runtime monitor ...` arguments for a container (pure). */
export function monitorArgs(input: { bundle: string; id: string; runtimeRoot: string; log: string; settings: MonitorSettings; exitCommand: string[] }): string[] {
  const { settings } = input;
  return [
    'monitor',
    '--bundle', input.bundle,
    '--id', input.id,
    '--root', input.runtimeRoot,
    '--log', input.log,
    ...(settings.logMaxSize !== undefined ? ['--log-max-size', String(settings.logMaxSize)] : []),
    ...(settings.tty ? ['--terminal'] : []),
    ...(settings.interactive ? ['--stdin'] : []),
    '--restart', formatRestartPolicy(settings.restart),
    '--exit-command', ...input.exitCommand,
  ];
}

/** Runs hutch-runtime to completion, capturing its output. */
export function runRuntime(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(runtimeExecutablePath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (err) => reject(new HutchError('ERUNTIME', `cannot start hutch-runtime: ${err.message}`, { cause: err, hint: 'rebuild hutch (`npm rebuild hutch`)' })));
    child.once('close', (code, signal) => resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr: stderr.trim() }));
  });
}

/** A container resolved from user input, with its current state. */
export interface ResolvedContainer {
  record: ContainerRecord;
  state: ContainerState;
}

/** Finds a container by name, ID or prefix and reads its state; NotFoundError otherwise. */
export function resolveContainer(paths: HutchPaths, input: string, all: ContainerRecord[] = listContainers(paths.root)): ResolvedContainer {
  const record = requireContainer(paths.root, input, all);
  return { record, state: readContainerState(stateLocation(paths, record.id)) };
}

/** Re-reads a container's state. */
export function currentState(paths: HutchPaths, id: string): ContainerState {
  return readContainerState(stateLocation(paths, id));
}

function isLive(state: ContainerState): boolean {
  return state.pid !== null;
}

// Copies the monitor's last exit into containers/<id>/state.json, which
// survives the runtime state (a tmpfs) and the next start.
function persistExit(paths: HutchPaths, id: string): void {
  const dir = join(runtimeRoot(paths), id);
  const exit = readJsonFile<ExitFile>(join(dir, 'exit.json'));
  if (exit === null) return;
  const monitor = readJsonFile<MonitorFile>(join(dir, 'monitor.json'));
  const record: PersistedExit = { status: 'exited', exitCode: exit.exitCode, startedAt: monitor?.startedAt ?? exit.finishedAt, finishedAt: exit.finishedAt, restartCount: exit.restartCount ?? 0 };
  const containerDir = containerPaths(paths.root, id).dir;
  try {
    writeFileAtomic(join(containerDir, 'state.json'), `${JSON.stringify(record)}\n`);
  } catch (err) {
    // A concurrent rm may move the container away at any moment: then there is nothing to keep.
    if (existsSync(containerDir)) throw err;
  }
}

function readJsonFile<T>(path: string): T | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return null;
  }
}

// `hutch-runtime delete`: waits for a live monitor to finish, removes the
// runtime state. A state that is already gone (a concurrent rm or cleanup) is fine.
// `keepExit`: the last exit is copied to containers/<id>/state.json first
// (needless when the container itself is removed next).
async function deleteRuntimeState(paths: HutchPaths, id: string, options: { force: boolean; keepExit: boolean }): Promise<void> {
  const root = runtimeRoot(paths);
  if (!existsSync(join(root, id))) return;
  if (options.keepExit) persistExit(paths, id);
  const result = await runRuntime(['--root', root, 'delete', ...(options.force ? ['--force'] : []), id]);
  if (result.code !== 0 && existsSync(join(root, id))) {
    throw new HutchError('ERUNTIME', `cannot delete the runtime state of container ${id.slice(0, 12)}: ${result.stderr}`);
  }
}

function failedStart(code: number, message: string): HutchError {
  if (code === 126) return new CannotInvokeError(message);
  if (code === 127) return new CommandNotFoundError(message);
  return new HutchError('ESTART', message, { hint: 'see `hutch doctor` for what this host supports' });
}

/** Starts a created or stopped container under a new monitor; a running one is left alone. Returns the container's pid. */
export async function startContainer(paths: HutchPaths, record: ContainerRecord): Promise<number | null> {
  const state = currentState(paths, record.id);
  if (state.status === 'running') return state.pid;
  if (state.status === 'paused') throw new ContainerStateError(`container ${record.name} is paused`, 'unpause it instead');
  if (state.hasRuntimeState) {
    if (state.monitorAlive) throw new ContainerStateError(`container ${record.name} is ${state.status} and its monitor is still running (a restart may be pending)`, 'stop it first with `hutch stop`');
    await deleteRuntimeState(paths, record.id, { force: state.status === 'created', keepExit: true });
  }
  const root = ensurePrivateDir(runtimeRoot(paths));
  const cpaths = containerPaths(paths.root, record.id);
  const args = monitorArgs({
    bundle: cpaths.bundle,
    id: record.id,
    runtimeRoot: root,
    log: logPath(paths.root, record.id),
    settings: monitorSettings(record),
    exitCommand: cleanupCommand(paths, record.id),
  });
  const result = await runRuntime(args);
  if (result.code !== 0) throw failedStart(result.code, result.stderr || `hutch-runtime monitor exited with status ${result.code}`);
  const pid = Number(result.stdout.trim());
  return Number.isInteger(pid) ? pid : null;
}

const POLL_MS = 50;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the container is no longer live, or `timeoutMs` passes; true when it stopped. */
export async function waitNotLive(paths: HutchPaths, id: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = currentState(paths, id);
    // "stopped" with a live monitor means exit.json is about to be written: wait for it.
    if (!isLive(state) && !(state.status === 'stopped' && state.monitorAlive)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

async function signalContainer(paths: HutchPaths, record: ContainerRecord, state: ContainerState, signal: string): Promise<void> {
  if (!state.hasRuntimeState && state.pid !== null) {
    // A foreground `hutch run` keeps no monitor state: signal its init directly.
    process.kill(state.pid, /^\d+$/.test(signal) ? Number(signal) : (`SIG${signal.replace(/^SIG/, '')}` as NodeJS.Signals));
    return;
  }
  const result = await runRuntime(['--root', runtimeRoot(paths), 'kill', record.id, signal]);
  // A container that ended between our look and the signal (a concurrent stop or rm -f) needs no signal.
  if (result.code !== 0 && isLive(currentState(paths, record.id))) {
    throw new HutchError('ESIGNAL', `cannot signal container ${record.name}: ${result.stderr}`);
  }
}

/** Sends `signal` to a running container's init (podman kill). */
export async function killContainer(paths: HutchPaths, record: ContainerRecord, signal: string): Promise<void> {
  const state = currentState(paths, record.id);
  if (!isLive(state)) {
    throw new ContainerStateError(`can only kill running containers: ${record.name} is in state ${state.status}`, 'start it first with `hutch start`');
  }
  await signalContainer(paths, record, state, signal);
}

/**
 * Stops a container: its stop signal, then SIGKILL after `timeoutSeconds`
 * (podman stop). A container that is not running is left as it is; a paused
 * one is refused, as podman does (its processes could not act on the signal).
 */
export async function stopContainer(paths: HutchPaths, record: ContainerRecord, timeoutSeconds: number): Promise<void> {
  const state = currentState(paths, record.id);
  if (!isLive(state)) return;
  if (state.status === 'paused') {
    throw new ContainerStateError(`can only stop created or running containers: ${record.name} is paused: container state improper`, 'unpause it first (`hutch unpause`), or remove it with `hutch rm -f`');
  }
  if (timeoutSeconds > 0) {
    await signalContainer(paths, record, state, record.stopSignal);
    if (await waitNotLive(paths, record.id, timeoutSeconds * 1000)) return;
  }
  const again = currentState(paths, record.id);
  if (isLive(again)) await signalContainer(paths, record, again, 'KILL');
  if (!(await waitNotLive(paths, record.id, 10_000))) {
    throw new HutchError('ESTOP', `container ${record.name} did not stop after SIGKILL within 10 s`);
  }
}

/**
 * Removes a container. A live one is refused unless `force`, which kills it
 * first (podman rm -f: SIGKILL unless a stop timeout is given).
 */
export async function removeContainer(store: Store, paths: HutchPaths, record: ContainerRecord, options: { force: boolean; timeoutSeconds?: number }): Promise<void> {
  const state = currentState(paths, record.id);
  const live = isLive(state) || state.status === 'paused';
  if (live && !options.force) {
    throw new ContainerStateError(
      `cannot remove container ${record.id} as it is ${state.status} - running or paused containers cannot be removed without force: container state improper`,
      'stop it first (`hutch stop`) or use `hutch rm -f`',
    );
  }
  // A paused container is killed, then thawed (frozen tasks take SIGKILL only once thawed); a stop
  // timeout and a foreground run (no runtime state) go through stop. Otherwise `hutch-runtime
  // delete --force` does it all natively: SIGKILL through the pidfd, a wait for the death and for
  // the monitor to write exit.json (pidfds, no polling), and the monitor then runs no exit command,
  // since this removal is the cleanup.
  if (live && state.status === 'paused') await killPaused(paths, record, state);
  else if (live && (!state.hasRuntimeState || (options.timeoutSeconds ?? 0) > 0)) await stopContainer(paths, record, options.timeoutSeconds ?? 0);
  await deleteRuntimeState(paths, record.id, { force: true, keepExit: false });
  removeForegroundCgroup(paths, record.id);
  await removeContainerFiles(store, record.id);
}

// A foreground runtime killed before it removed its container's cgroup
// (its init died with it) leaves the cgroup behind, empty: it goes here.
function removeForegroundCgroup(paths: HutchPaths, id: string): void {
  const cgroupDir = readJsonFile<ForegroundRuntimeState>(join(paths.runroot, id, 'state.json'))?.cgroupDir;
  if (cgroupDir === undefined) return;
  try {
    rmdirSync(cgroupDir);
  } catch {
    // Already gone (the runtime removed it), or still in use: not ours to force.
  }
}

// podman rm -f of a paused container: SIGKILL, then thawed (SIGKILL ends
// frozen processes on cgroup v2; the thaw is what a v1 freezer would need).
async function killPaused(paths: HutchPaths, record: ContainerRecord, state: ContainerState): Promise<void> {
  await signalContainer(paths, record, state, 'KILL');
  if (state.cgroupDir !== undefined && existsSync(state.cgroupDir)) {
    const { setCgroupFrozen } = await import('./cgroup.js');
    await setCgroupFrozen(state.cgroupDir, false).catch(() => {
      // The cgroup went away with the container: nothing is left to thaw.
    });
  }
  if (!(await waitNotLive(paths, record.id, 10_000))) {
    throw new HutchError('ESTOP', `container ${record.name} did not stop after SIGKILL within 10 s`);
  }
}

/** Blocks until the container has exited and returns its exit code (podman wait). */
export async function waitForExit(paths: HutchPaths, id: string, signal?: AbortSignal): Promise<number> {
  for (;;) {
    signal?.throwIfAborted();
    const state = currentState(paths, id);
    if (state.status === 'exited' || (state.status === 'stopped' && !state.monitorAlive)) return state.exitCode ?? -1;
    if (!existsSync(containerPaths(paths.root, id).dir)) {
      throw new NotFoundError(`container ${id.slice(0, 12)} was removed before its exit was seen`);
    }
    await sleep(POLL_MS * 2);
  }
}

/** Stops (when running) and starts the container again (podman restart). */
export async function restartContainer(paths: HutchPaths, record: ContainerRecord, timeoutSeconds: number): Promise<void> {
  await stopContainer(paths, record, timeoutSeconds);
  await waitMonitorGone(paths, record.id);
  await startContainer(paths, record);
}

// After a stop, the monitor still drains the pipes and runs the exit command:
// a start before it ends would find its state directory in place.
async function waitMonitorGone(paths: HutchPaths, id: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (currentState(paths, id).monitorAlive && Date.now() < deadline) await sleep(POLL_MS);
}

/**
 * What the monitor's exit command does (`hutch container cleanup ID`): keep
 * the exit status, delete the runtime state, and remove an --rm container.
 * Safe to race with rm -f and with itself. The store is opened (`withStore`)
 * only to remove an --rm container: a container already removed leaves nothing
 * to do, and nothing is created where a removed store was.
 */
export async function cleanupContainer(paths: HutchPaths, id: string, withStore: <T>(fn: (store: Store) => Promise<T>) => Promise<T>): Promise<void> {
  const record = findContainer(paths.root, id);
  if (!record) return;
  const state = currentState(paths, record.id);
  if (isLive(state)) return;
  await deleteRuntimeState(paths, record.id, { force: false, keepExit: true });
  if (record.autoRemove) {
    try {
      await withStore((store) => removeContainerFiles(store, record.id));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}

/** Like resolveContainer; with `ignore`, a missing container gives null instead of an error (podman --ignore). */
export function findOrIgnore(paths: HutchPaths, input: string, ignore: boolean): ResolvedContainer | null {
  try {
    return resolveContainer(paths, input);
  } catch (err) {
    if (ignore && err instanceof NotFoundError) return null;
    throw err;
  }
}

const SIGNAL_NAMES = new Set(['ABRT', 'ALRM', 'BUS', 'CHLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'KILL', 'PIPE', 'PROF', 'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ']);

/** Checks a signal given as a name (with or without SIG, any case), a number, or RTMIN+N; returns what hutch-runtime takes. */
export function normaliseSignal(input: string): string {
  const upper = input.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(upper) && Number(upper) >= 1 && Number(upper) <= 64) return upper;
  if (SIGNAL_NAMES.has(upper) || /^RTM(IN|AX)([+-]\d+)?$/.test(upper)) return upper;
  throw new UsageError(`invalid signal ${JSON.stringify(input)}`, { hint: 'use a name such as TERM or SIGKILL, or a number' });
}

/** True once the container's output is complete: not live, and its monitor (which drains the pipes) is gone. */
export function hasEnded(paths: HutchPaths, id: string): boolean {
  if (!existsSync(containerPaths(paths.root, id).dir)) return true;
  const state = currentState(paths, id);
  return !isLive(state) && !state.monitorAlive;
}
