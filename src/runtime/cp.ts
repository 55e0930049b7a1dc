// `hutch cp`: host ↔ container copies through `hutch-runtime cp`, which does
// every container-side lookup with the container's root as "/" (see
// cp-native.ts), so a symlink the container swaps in can only ever point
// inside the container (CVE-2018-15664).
import { type Stats } from 'node:fs';
import { lstat, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { HutchError, NotFoundError, UsageError, fromNodeError } from '../errors.js';
import type { HutchPaths } from '../paths.js';
import { extractToStaging, moveInto } from './cp-host-extract.js';
import { lastComponent, parseCpLocation } from './cp-location.js';
import { readContainerLayout, startCp } from './cp-native.js';
import { packHostPath } from './cp-tar-pack.js';
import { resolveContainer } from './lifecycle.js';

/** What `hutch cp` was asked. */
export interface CpRequest {
  source: string;
  destination: string;
  /** podman's --archive (default true): files copied in belong to the container's user; false keeps the archive's ids. */
  archive: boolean;
  stdin: Readable;
  stdout: Writable;
}

async function statOrNull(path: string, follow: boolean): Promise<Stats | null> {
  try {
    return follow ? await stat(path) : await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw fromNodeError(err, path);
  }
}

function container(paths: HutchPaths, name: string) {
  const { record, state } = resolveContainer(paths, name);
  return { record, running: (state.status === 'running' || state.status === 'paused') && state.pid !== null };
}

async function copyIn(paths: HutchPaths, request: CpRequest, name: string, path: string): Promise<void> {
  const { record, running } = container(paths, name);
  const owner = request.archive ? readContainerLayout(paths.root, record.id).user : 'keep';
  const fromStdin = request.source === '-';
  let tar: Readable;
  if (fromStdin) {
    tar = request.stdin;
  } else {
    if (!(await statOrNull(request.source, false))) throw new NotFoundError(`\`${request.source}\`: no such file or directory`);
    tar = packHostPath(request.source, lastComponent(request.source));
  }
  const cp = await startCp(paths, record, running, { in: path, intoDir: fromStdin || path.endsWith('/'), owner }, ['pipe', 'ignore', 'pipe']);
  const stdin = cp.child.stdin!;
  // EPIPE when the runtime stops early: its own message says why.
  stdin.on('error', () => undefined);
  tar.on('error', (err) => {
    cp.child.kill();
    stdin.destroy(err);
  });
  tar.pipe(stdin);
  await cp.done;
}

async function copyOut(paths: HutchPaths, request: CpRequest, name: string, path: string): Promise<void> {
  const { record, running } = container(paths, name);
  if (request.destination === '-') {
    const cp = await startCp(paths, record, running, { out: path }, ['ignore', 'pipe', 'pipe']);
    cp.output!.pipe(request.stdout);
    await cp.done;
    return;
  }
  const dest = request.destination;
  const existing = await statOrNull(dest, true);
  // An existing directory receives the source under its own name; otherwise the copy takes the destination's name.
  const [parent, entryName] = existing?.isDirectory() ? [dest, lastComponent(path) === '/' ? '.' : lastComponent(path)] : [dirname(dest), lastComponent(dest)];
  if (!existing && dest.endsWith('/')) throw new NotFoundError(`destination directory \`${dest}\` does not exist`);
  if (!(await statOrNull(parent, true))?.isDirectory()) throw new NotFoundError(`\`${parent}\` is not a directory`, { hint: 'the parent directory of the destination must exist' });
  const cp = await startCp(paths, record, running, { out: path, name: 'top' }, ['ignore', 'pipe', 'pipe']);
  const [extracted, ran] = await Promise.allSettled([extractToStaging(cp.output!, parent), cp.done]);
  const staging = extracted.status === 'fulfilled' ? extracted.value : undefined;
  try {
    // The runtime's own error explains a broken stream better than the parser's.
    if (ran.status === 'rejected') throw ran.reason;
    if (extracted.status === 'rejected') throw extracted.reason;
    if (!(await statOrNull(join(staging!, 'top'), false))) {
      throw new HutchError('ECP', `the copy of \`${path}\` from container ${record.name} arrived without its top entry`, { hint: 'retry the copy; this is a bug in hutch if it repeats' });
    }
    await moveInto(join(staging!, 'top'), entryName === '.' ? dest : join(parent, entryName));
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

/** Runs a copy; exactly one side must be a container path. */
export async function copy(paths: HutchPaths, request: CpRequest): Promise<void> {
  const from = parseCpLocation(request.source);
  const to = parseCpLocation(request.destination);
  if (from.kind === 'container' && to.kind === 'container') throw new UsageError('copying between containers is not supported', { hint: 'copy to the host first' });
  if (to.kind === 'container') return copyIn(paths, request, to.container, to.path);
  if (from.kind === 'host') throw new UsageError('one of the source and the destination must be CONTAINER:PATH');
  return copyOut(paths, request, from.container, from.path);
}
