// Turns on Node's on-disk module compile cache (Node >= 22.1,
// module.enableCompileCache) so later runs skip parsing and compiling hutch's
// and yargs' modules. Node 20 has no such API and starts without it.
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModule } from '../builtin-module.js';
import { homeDirectory } from '../paths.js';

type EnableCompileCache = (directory?: string) => unknown;

/**
 * The cache directory: $XDG_CACHE_HOME/hutch/compile-cache, else
 * ~/.cache/hutch/compile-cache; null when it is not safe to use.
 * V8 code caches are only checked against a hash of the source, so a cache
 * another user can write would let them run code as us: the directory must be
 * ours, a real directory, and writable by nobody else.
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): string | null {
  const cacheHome = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homeDirectory(env), '.cache');
  const dir = join(cacheHome, 'hutch', 'compile-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const path of [dir, join(cacheHome, 'hutch')]) {
      const st = lstatSync(path);
      if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) return null;
    }
    return dir;
  } catch {
    return null;
  }
}

/** Enables the compile cache when this Node has it; a no-op on Node 20 or when no safe directory exists. */
export function enableCompileCache(): void {
  // node:module is looked up only where the API exists: on Node 20, loading it
  // (with its source-map support) would cost a few ms of every command for nothing.
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 1)) return;
  const enable = (builtinModule('node:module') as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (typeof enable !== 'function' || process.env.NODE_DISABLE_COMPILE_CACHE) return;
  const dir = compileCacheDir();
  if (dir !== null) enable(dir);
}
