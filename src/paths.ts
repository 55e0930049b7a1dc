// Where hutch keeps its data and runtime state, following podman's rootless
// conventions: data under $XDG_DATA_HOME/hutch, state under
// $XDG_RUNTIME_DIR/hutch (fallback /tmp/hutch-$UID); /var/lib/hutch and
// /run/hutch when running as root.
import { mkdirSync, lstatSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModule } from './builtin-module.js';
import { HostError, fromNodeError } from './errors.js';

/** The storage and runtime-state directories hutch uses for this invocation. */
export interface HutchPaths {
  /** Persistent data: images, layers, containers. */
  root: string;
  /** Volatile runtime state: locks, pids, sockets. */
  runroot: string;
}

/**
 * $HOME, else the passwd entry's home. node:os is loaded only in that second
 * case: every command would otherwise pay about a millisecond for it.
 */
export function homeDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOME || builtinModule('node:os').homedir();
}

/** Computes the default storage and state paths for the calling user. */
export function defaultPaths(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): HutchPaths {
  if (uid === 0) return { root: '/var/lib/hutch', runroot: '/run/hutch' };
  const dataHome = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homeDirectory(env), '.local', 'share');
  const runtimeDir = env.XDG_RUNTIME_DIR && env.XDG_RUNTIME_DIR.startsWith('/') ? env.XDG_RUNTIME_DIR : undefined;
  return {
    root: join(dataHome, 'hutch'),
    runroot: runtimeDir ? join(runtimeDir, 'hutch') : `/tmp/hutch-${uid}`,
  };
}

/**
 * Creates `dir` (and parents) with mode 0700 if missing, and refuses a
 * directory that another user owns or that is a symlink: a predictable
 * /tmp/hutch-$UID could otherwise be planted by someone else.
 */
export function ensurePrivateDir(dir: string, uid = process.getuid?.() ?? 0): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fromNodeError(err, dir);
  }
  const st = lstatSync(dir);
  if (!st.isDirectory()) {
    throw new HostError('EUNSAFEDIR', `\`${dir}\` is not a directory (it is a symlink or a file)`, {
      hint: `remove it, or choose another location with --root/--runroot`,
    });
  }
  if (st.uid !== uid) {
    throw new HostError('EUNSAFEDIR', `\`${dir}\` is owned by uid ${st.uid}, not by you (uid ${uid})`, {
      hint: `remove it or set XDG_RUNTIME_DIR/--runroot to a directory you own`,
    });
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  return dir;
}
