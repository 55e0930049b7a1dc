// Starts `hutch-runtime cp` for a container (docs/runtime-native.md, "cp"):
// for a running one it joins the container's user and mount namespaces; for a
// stopped one it runs in a fresh user+mount namespace with the podman id
// mapping and mounts the container's overlay there. Either way every path is
// resolved by the kernel with the container's root as "/".
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { HostError, HutchError } from '../errors.js';
import type { RootfsMode } from '../host/rootfs-mode.js';
import { ROOTFS_ANNOTATIONS as ANNOTATIONS } from '../spec/annotations.js';
import { runtimeExecutablePath } from '../native/index.js';
import type { HutchPaths } from '../paths.js';
import { formatIdMap, planIdMapping, type IdMappingPlan } from '../storage/userns.js';
import { runtimeRoot } from './container-state.js';
import { containerPaths, type ContainerRecord } from './container-store.js';

/** What the runtime does once inside the container's root. */
export type CpOperation =
  /** Writes a tar of `path` on stdout; the top member is named `name`, or the tree's children sit at the top (`export`). */
  | { out: string; name?: string; export?: boolean }
  /** Extracts the tar on stdin at `path` (into it when it is a directory). */
  | { in: string; intoDir: boolean; owner: { uid: number; gid: number } | 'keep' };

/** The container's root filesystem (mode and directories) and process user, from its stored OCI config. */
export interface ContainerLayout {
  /** Containers created before rootfs modes existed are overlay. */
  mode: RootfsMode;
  /** Overlay lower dirs, top first; empty for a copy. */
  lowers: string[];
  upper: string;
  work: string;
  /** The overlay mount point, or (mode copy) the copied root itself. */
  mountpoint: string;
  /** fuse-overlayfs (mode fuse-overlayfs), else null. */
  mountProgram: string | null;
  user: { uid: number; gid: number };
}

/** Reads what cp needs from the container's bundle config.json. */
export function readContainerLayout(root: string, id: string): ContainerLayout {
  const paths = containerPaths(root, id);
  const config = JSON.parse(readFileSync(join(paths.bundle, 'config.json'), 'utf8')) as {
    annotations?: Record<string, string>;
    process?: { user?: { uid?: number; gid?: number } };
  };
  const a = config.annotations ?? {};
  const lowers = (a[ANNOTATIONS.lowerDirs] ?? '').split(':').filter(Boolean);
  return {
    mode: (a[ANNOTATIONS.rootfsMode] as RootfsMode | undefined) ?? 'overlay',
    lowers,
    upper: a[ANNOTATIONS.upperDir] ?? paths.upper,
    work: a[ANNOTATIONS.workDir] ?? paths.work,
    mountpoint: paths.rootfs,
    mountProgram: a[ANNOTATIONS.mountProgram] ?? null,
    user: { uid: config.process?.user?.uid ?? 0, gid: config.process?.user?.gid ?? 0 },
  };
}

/** The runtime's `cp` operation flags (pure). */
export function operationArgs(op: CpOperation): string[] {
  if ('out' in op) return ['--out', op.out, ...(op.export ? ['--export'] : op.name !== undefined ? ['--name', op.name] : [])];
  return ['--in', op.in, ...(op.intoDir ? ['--into-dir'] : []), ...(op.owner === 'keep' ? ['--keep-owners'] : ['--owner', `${op.owner.uid}:${op.owner.gid}`])];
}

/** The full command line (pure): a running container by ID, a stopped one by its overlay dirs inside userns-exec. */
export function cpCommand(runtime: string, target: { running: true; runtimeRoot: string; id: string } | { running: false; plan: IdMappingPlan; layout: ContainerLayout }, op: CpOperation): string[] {
  if (target.running) return [runtime, '--root', target.runtimeRoot, 'cp', '--container', target.id, ...operationArgs(op)];
  const { plan, layout } = target;
  if (plan.mode !== 'userns') {
    throw new HostError('ENOSUBIDS', 'copying from a stopped container needs a user namespace with subordinate ids', { hint: 'add subordinate id ranges to /etc/subuid and /etc/subgid, or start the container first' });
  }
  const root = layout.mode === 'copy'
    ? ['--rootfs', layout.mountpoint]
    : ['--lower', layout.lowers.join(':'), '--upper', layout.upper, '--work', layout.work, '--mountpoint', layout.mountpoint, ...(layout.mountProgram ? ['--mount-program', layout.mountProgram] : [])];
  return [runtime, 'userns-exec', '--uid-map', formatIdMap(plan.uidMap), '--gid-map', formatIdMap(plan.gidMap), '--mount-ns', '--', runtime, 'cp', ...root, ...operationArgs(op)];
}

/** A started `hutch-runtime cp`, and its outcome (rejects with the runtime's own message). */
export interface CpProcess {
  child: ChildProcess;
  /** The runtime's stdout (the tar of `--out`), held until read; null unless stdout is piped. */
  output: Readable | null;
  done: Promise<void>;
}

/**
 * Spawns the runtime command `file args` for the copy of container `name`.
 * Its stdout is piped at once into `output`: when a child exits, Node resumes
 * every stdio stream nobody reads yet (child_process flushStdio), which throws
 * its bytes away, and a small copy often ends before the caller attaches its
 * consumer (extractToStaging first creates its directory). Issue 5: the tar
 * then arrived empty. The pipe keeps the bytes, with backpressure on the runtime.
 */
export function spawnCp(file: string, args: readonly string[], stdio: StdioOptions, name: string): CpProcess {
  const child = spawn(file, args, { stdio });
  const output = child.stdout ? child.stdout.pipe(new PassThrough()) : null;
  child.stdout?.once('error', (err) => output!.destroy(err));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new HutchError('ERUNTIME', `cannot start hutch-runtime: ${err.message}`, { cause: err })));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const message = stderr.trim().split('\n').at(-1)?.replace(/^hutch-runtime:\s*/, '') || `hutch-runtime cp exited with ${code ?? signal}`;
      reject(new HutchError('ECP', `${name}: ${message}`));
    });
  });
  return { child, output, done };
}

/** Starts the runtime for `record` with `stdio` (stdin/stdout carry the tar). */
export async function startCp(paths: HutchPaths, record: ContainerRecord, running: boolean, op: CpOperation, stdio: StdioOptions): Promise<CpProcess> {
  const runtime = runtimeExecutablePath();
  const target = running
    ? ({ running: true, runtimeRoot: runtimeRoot(paths), id: record.id } as const)
    : ({ running: false, plan: await planIdMapping(), layout: readContainerLayout(paths.root, record.id) } as const);
  const [file, ...args] = cpCommand(runtime, target, op);
  return spawnCp(file!, args, stdio, record.name);
}
