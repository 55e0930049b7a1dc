// Running a command in a running container: `hutch-runtime exec` joins every
// namespace of the init through a verified pidfd and applies the stored
// config's security settings (docs/runtime-native.md, "exec").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { ROOTFS_ANNOTATIONS } from '../spec/annotations.js';
import { runAttachedRuntime } from './attached-runtime.js';
import type { ContainerRecord } from './container-store.js';
import { containerPaths } from './container-store.js';

/** What `hutch exec` asks for. */
export interface ExecRequest {
  command: string[];
  tty: boolean;
  interactive: boolean;
  /** Numeric UID[:GID], already resolved. */
  user?: string;
  workdir?: string;
  env: string[];
}

/** The `hutch-runtime exec` arguments (pure). */
export function execArgs(runtimeRoot: string, id: string, request: ExecRequest): string[] {
  if (request.command.length === 0) throw new UsageError('exec needs a command to run in the container');
  return [
    '--root', runtimeRoot,
    'exec',
    ...(request.tty ? ['--tty'] : []),
    ...(request.user !== undefined ? ['--user', request.user] : []),
    ...(request.workdir !== undefined ? ['--cwd', request.workdir] : []),
    ...request.env.flatMap((e) => ['--env', e]),
    id,
    '--',
    ...request.command,
  ];
}

/** `-e K=V` as given; `-e K` copies K from our environment and is dropped when unset (podman). */
export function execEnv(values: readonly string[], hostEnv: NodeJS.ProcessEnv): string[] {
  return values.flatMap((value) => {
    if (value.includes('=')) return [value];
    const host = hostEnv[value];
    return host === undefined ? [] : [`${value}=${host}`];
  });
}

/**
 * `-u` as the runtime takes it: numeric ids pass through; names are looked up
 * in the image's /etc/passwd and /etc/group, read safely from its layers.
 */
export async function resolveExecUser(root: string, record: ContainerRecord, user: string): Promise<string> {
  if (/^\d+(:\d+)?$/.test(user)) return user;
  const paths = containerPaths(root, record.id);
  const config = JSON.parse(readFileSync(join(paths.bundle, 'config.json'), 'utf8')) as { annotations?: Record<string, string> };
  const annotations = config.annotations ?? {};
  // A copied root is one merged layer of its own.
  const lowers = annotations[ROOTFS_ANNOTATIONS.rootfsMode] === 'copy' ? [paths.rootfs] : (annotations[ROOTFS_ANNOTATIONS.lowerDirs] ?? '').split(':').filter(Boolean);
  const { readUserFiles, resolveUser } = await import('../spec/user.js');
  const resolved = resolveUser(user, await readUserFiles(lowers));
  return `${resolved.uid}:${resolved.gid}`;
}

/** Runs the command with our stdio (stdin only with -i) and resolves with its exit status. */
export function runExec(runtimeRoot: string, record: ContainerRecord, request: ExecRequest): Promise<number> {
  // The terminal sends ^C to the whole foreground group; the runtime relays it itself.
  return runAttachedRuntime(execArgs(runtimeRoot, record.id, request), { stdin: request.interactive, forward: ['SIGTERM'], ignore: ['SIGINT'] });
}
