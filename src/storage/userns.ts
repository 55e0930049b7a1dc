// The user namespace that layer files are written and deleted in: container
// id 0 is the user, container ids 1.. are the subordinate ranges, as podman
// maps them. Files owned by subordinate ids can only be created with those
// owners, or deleted, from inside such a namespace.
import type { ResultPromise } from 'execa';
import { HostError } from '../errors.js';
import { readSubids, type SubidRange } from '../host/subids.js';
import { loginName } from '../host/user.js';
import { log } from '../log.js';
import { runtimeExecutablePath } from '../native/index.js';

/** One line of a uid_map/gid_map: `size` ids from `containerId` map to `hostId`. */
export interface IdMapping {
  containerId: number;
  hostId: number;
  size: number;
}

/** How layer files get their owners. */
export type IdMappingPlan =
  /** Run inside a user namespace with these maps. */
  | { mode: 'userns'; uidMap: IdMapping[]; gidMap: IdMapping[]; singleId: boolean }
  /** Real root without subordinate ranges: apply in this process's own namespace, owners as in the image. */
  | { mode: 'direct' };

/** Where subordinate ranges are read from, and whose. */
export interface IdMappingOptions {
  uid?: number;
  gid?: number;
  userName?: string | null;
  subuidFile?: string;
  subgidFile?: string;
}

/** Container 0 → `own` (when given), then the ranges one after another from container id 1 (or 0 without `own`). */
function buildMap(own: number | null, ranges: readonly SubidRange[]): IdMapping[] {
  const map: IdMapping[] = own === null ? [] : [{ containerId: 0, hostId: own, size: 1 }];
  let next = own === null ? 0 : 1;
  for (const range of ranges) {
    map.push({ containerId: next, hostId: range.start, size: range.count });
    next += range.count;
  }
  return map;
}

/**
 * Computes the mapping podman uses. As root, container 0 maps to the start of
 * root's own subordinate range (never to host root); root without ranges
 * writes owners directly. A user without ranges gets single-id mode: one
 * warning, every file owned by the user.
 */
export async function planIdMapping(options: IdMappingOptions = {}): Promise<IdMappingPlan> {
  const uid = options.uid ?? process.getuid!();
  const gid = options.gid ?? process.getgid!();
  const owner = { name: options.userName === undefined ? loginName() : options.userName, uid };
  const [{ report: subuid }, { report: subgid }] = await Promise.all([
    readSubids(options.subuidFile ?? '/etc/subuid', owner),
    readSubids(options.subgidFile ?? '/etc/subgid', owner),
  ]);
  if (uid === 0) {
    if (subuid.ranges.length === 0 || subgid.ranges.length === 0) return { mode: 'direct' };
    return { mode: 'userns', uidMap: buildMap(null, subuid.ranges), gidMap: buildMap(null, subgid.ranges), singleId: false };
  }
  if (subuid.ranges.length === 0 || subgid.ranges.length === 0) {
    log.warnOnce(
      'single-id-mapping',
      `no subordinate id ranges for ${owner.name ?? `uid ${uid}`} in ${subuid.ranges.length === 0 ? subuid.file : subgid.file}: every file of an image will be owned by you (single-id mode); add a range, e.g. \`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${owner.name ?? 'USER'}\``,
    );
    return { mode: 'userns', uidMap: buildMap(uid, []), gidMap: buildMap(gid, []), singleId: true };
  }
  return { mode: 'userns', uidMap: buildMap(uid, subuid.ranges), gidMap: buildMap(gid, subgid.ranges), singleId: false };
}

/** `C:H:N,C:H:N` as hutch-runtime userns-exec takes it. */
export function formatIdMap(map: readonly IdMapping[]): string {
  return map.map((m) => `${m.containerId}:${m.hostId}:${m.size}`).join(',');
}

/** The host id that container id `id` is stored as under `map`, or null when unmapped. */
export function hostIdFor(map: readonly IdMapping[], id: number): number | null {
  for (const m of map) if (id >= m.containerId && id < m.containerId + m.size) return m.hostId + (id - m.containerId);
  return null;
}

/** The argv that runs `program args` as container uid 0 under `plan`: through `hutch-runtime userns-exec`, or directly as root. */
export function usernsCommand(plan: IdMappingPlan, program: string, args: readonly string[]): string[] {
  if (plan.mode === 'direct') return [program, ...args];
  return [runtimeExecutablePath(), 'userns-exec', '--uid-map', formatIdMap(plan.uidMap), '--gid-map', formatIdMap(plan.gidMap), '--', program, ...args];
}

/** Options for a command run under the plan. */
export interface UsernsCommandOptions {
  /** 'pipe' to write the command's stdin through the returned process (default 'ignore'). */
  stdin?: 'pipe' | 'ignore';
  signal?: AbortSignal;
  /** Extra environment for the command. */
  env?: NodeJS.ProcessEnv;
  /** Give the command a pipe on fd 3 that the caller writes through `subprocess.stdio[3]`. */
  controlPipe?: boolean;
}

interface UsernsExecaOptions {
  reject: false;
  stdio: ['pipe' | 'ignore', 'pipe', 'pipe', ...'pipe'[]];
  cancelSignal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** A command started by runInUserns; it never rejects, the caller reads exitCode. */
export type UsernsProcess = ResultPromise<UsernsExecaOptions>;

/**
 * Starts `program args` as container uid 0 under `plan` (execa; stdout/stderr
 * captured as text). The subprocess is wrapped because a ResultPromise is a
 * thenable; execa is imported here, off the start-up path of every command.
 */
export async function runInUserns(plan: IdMappingPlan, program: string, args: readonly string[], options: UsernsCommandOptions = {}): Promise<{ subprocess: UsernsProcess }> {
  const { execa } = await import('execa');
  const stdio: UsernsExecaOptions['stdio'] = [options.stdin ?? 'ignore', 'pipe', 'pipe', ...(options.controlPipe ? (['pipe'] as const) : [])];
  const common: UsernsExecaOptions = { reject: false, stdio, cancelSignal: options.signal, env: options.env };
  const [file, ...argv] = usernsCommand(plan, program, args);
  return { subprocess: execa(file!, argv, common) };
}

/**
 * Deletes a directory tree whose files subordinate ids own. Only a process
 * inside the namespace holds the capabilities over those ids, so rm runs there.
 * A plain spawn rather than runInUserns: loading execa (about a hundred
 * modules) would cost more than the removal itself.
 */
export async function removeTree(plan: IdMappingPlan, path: string): Promise<void> {
  const [file, ...args] = usernsCommand(plan, '/bin/rm', ['-rf', '--one-file-system', '--', path]);
  // Imported here: the store (and so every command) imports this module, and
  // node:child_process costs a few ms to load on Node 20.
  const { spawn } = await import('node:child_process');
  const outcome = await new Promise<string | null>((resolve) => {
    const child = spawn(file!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', (err) => resolve(err.message));
    child.once('close', (code, signal) => resolve(code === 0 ? null : stderr.trim() || `rm exited with ${code ?? signal}`));
  });
  if (outcome !== null) {
    throw new HostError('EREMOVE', `cannot remove \`${path}\`: ${outcome}`, {
      hint: 'check that user namespaces work (`hutch info`) and that the path is not mounted',
    });
  }
}
