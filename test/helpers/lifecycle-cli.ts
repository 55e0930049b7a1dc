// Shared steps of the container lifecycle e2e tests: an image with the busybox
// applets they need, detached runs, bounded polling of container state
// (never a timing assertion), `inspect`/`ps` parsing, and the monitor's pid.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hutch } from './installed-cli.js';
import { prepareRunImage, type RunImage } from './run-image.js';
import type { RunResult } from './test-user.js';

/** The podman-like fields of `inspect` the tests read. */
export interface InspectRecord {
  Id: string;
  Name: string;
  Created?: string;
  State: { Status: string; Running: boolean; Pid: number; ExitCode: number; StartedAt: string; FinishedAt: string; ConmonPid?: number };
  Config: { Cmd?: string[]; Env?: string[]; Image?: string; Labels?: Record<string, string> | null; StopSignal?: string | number };
  Mounts: { Source?: string; Destination: string }[];
  HostConfig: { RestartPolicy?: { Name: string; MaximumRetryCount?: number }; AutoRemove?: boolean; LogConfig?: { Type?: string; Path?: string } };
  RestartCount?: number;
  LogPath?: string;
}

// Applets beyond the run image's standard set, used by log, cp and signal tests.
const EXTRA_APPLETS = ['ln', 'mv', 'seq', 'awk', 'yes', 'dd', 'date', 'printf', 'rmdir', 'cp', 'sync'];

/** The run image plus the extra applets, pulled into a fresh store. */
export function prepareLifecycleImage(): Promise<RunImage> {
  return prepareRunImage({
    extraEntries: EXTRA_APPLETS.map((name) => ({ type: 'symlink' as const, path: `bin/${name}`, target: 'busybox' })),
    config: { Cmd: ['sh', '-c', 'sleep 1000'] },
  });
}

/** `hutch ARGS` against the image's store. */
export function h(image: RunImage, args: readonly string[], options: { timeout?: number; input?: string } = {}): Promise<RunResult> {
  return hutch(args, { store: image.store, timeout: 120_000, ...options });
}

/** Like h(), but throws with stderr unless the exit status is 0. */
export async function ok(image: RunImage, args: readonly string[], options: { timeout?: number; input?: string } = {}): Promise<string> {
  const result = await h(image, args, options);
  if (result.exitCode !== 0) throw new Error(`hutch ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** `run -d [flags] IMAGE [command]` → the full ID it printed. */
export async function runDetached(image: RunImage, flags: readonly string[], command: readonly string[] = []): Promise<string> {
  const out = await ok(image, ['run', '-d', ...flags, image.ref, ...command]);
  const id = out.trim();
  if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`run -d printed ${JSON.stringify(out)}, not a 64-hex ID`);
  return id;
}

/** `inspect ID` (podman prints an array) → its one record. */
export async function inspect(image: RunImage, id: string): Promise<InspectRecord> {
  const parsed = JSON.parse(await ok(image, ['inspect', id])) as InspectRecord[] | InspectRecord;
  return Array.isArray(parsed) ? parsed[0]! : parsed;
}

/** Polls `predicate` (bounded: ~20 s); throws with `what` if it never holds. */
export async function eventually<T>(what: string, probe: () => Promise<T>, predicate: (value: T) => boolean, attempts = 200): Promise<T> {
  let last: T | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    last = await probe();
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} never happened; last: ${JSON.stringify(last)}`);
}

/** Waits until inspect's State.Status is `status`. */
export function waitForStatus(image: RunImage, id: string, status: string): Promise<InspectRecord> {
  return eventually(`${id.slice(0, 12)} ${status}`, () => inspect(image, id), (record) => record.State.Status === status);
}

/**
 * `ps -a --format '{{.ID}}\t{{.Names}}\t{{.Status}}'` as rows (IDs as ps prints them: 12 hex; match them
 * with sameId). --no-trunc is left to the ps test, so that the other tests do not depend on it.
 */
export async function psRows(image: RunImage, flags: readonly string[] = ['-a']): Promise<{ id: string; name: string; status: string }[]> {
  const out = await ok(image, ['ps', ...flags, '--format', '{{.ID}}\t{{.Names}}\t{{.Status}}']);
  return out.split('\n').filter((line) => line !== '').map((line) => {
    const [id = '', name = '', status = ''] = line.split('\t');
    return { id, name, status };
  });
}

/** Whether an ID printed by ps (short or full) names the container with full ID `id`. */
export function sameId(printed: string, id: string): boolean {
  return printed.length >= 12 && id.startsWith(printed);
}

/** The container's status line in `ps -a` (undefined when not listed). */
export async function psStatus(image: RunImage, id: string): Promise<string | undefined> {
  return (await psRows(image)).find((row) => sameId(row.id, id))?.status;
}

/** The monitor's pid: inspect's State.ConmonPid, else monitor.json in the runtime state under the store. */
export async function monitorPid(image: RunImage, id: string): Promise<number> {
  const record = await inspect(image, id);
  if (typeof record.State.ConmonPid === 'number' && record.State.ConmonPid > 0) return record.State.ConmonPid;
  for (const base of [image.store.runroot, image.store.root]) {
    const files = (await readdir(base, { recursive: true }).catch(() => [] as string[])).map(String);
    const found = files.find((path) => path.endsWith('monitor.json') && path.includes(id));
    if (found !== undefined) return (JSON.parse(await readFile(join(base, found), 'utf8')) as { monitorPid: number }).monitorPid;
  }
  throw new Error(`no monitor pid for ${id}: inspect has no State.ConmonPid and no monitor.json mentions it`);
}

/** Whether a process with this pid exists (a zombie counts as gone). */
export async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat !== null && stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
}

/** Waits until a file written by the container (through `exec ID cat`) exists. */
export async function waitForFileInContainer(image: RunImage, id: string, path: string): Promise<void> {
  await eventually(`${path} in ${id.slice(0, 12)}`, () => h(image, ['exec', id, 'test', '-e', path]), (result) => result.exitCode === 0);
}
