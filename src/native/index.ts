// Finds and loads the native parts built by node-gyp (the hutch.node addon and
// the hutch-runtime, hutch-init and hutch-monitor executables), reporting every
// path tried when they are missing.
import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostError, SystemError } from '../errors.js';
import type { NativeAddon } from './addon-types.js';

const REBUILD_HINT = 'run `npm rebuild hutch` (needs a C++ compiler and python3)';

// This module runs from src/native/ (tsx, tests) or dist/native/ (installed):
// the package root is two levels up either way.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const buildDirs = [join(packageRoot, 'build', 'Release'), join(packageRoot, 'build', 'Debug')];

let cached: NativeAddon | undefined;

function describe(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}

// The factory behind every addon error: "syscall `path`: ECODE (description)".
function nativeError(syscall: string, errno: number, code: string, path: string | undefined, description: string): Error {
  const object = path === undefined ? '' : ` \`${path}\``;
  return new SystemError(syscall, errno, code, `${syscall}${object}: ${code} (${description})`, path);
}

/** Loads build/{Release,Debug}/hutch.node once and installs the error factory. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const failures: string[] = [];
  let lastError: unknown;
  for (const dir of buildDirs) {
    const file = join(dir, 'hutch.node');
    try {
      // process.dlopen, not createRequire: node:module would load the source-map
      // and stream machinery, a few ms of every command that takes a lock.
      const module = { exports: {} as NativeAddon };
      process.dlopen(module, file);
      const addon = module.exports;
      addon.setErrorFactory(nativeError);
      cached = addon;
      return addon;
    } catch (err) {
      lastError = err;
      failures.push(`${file}: ${describe(err)}`);
    }
  }
  throw new HostError('ENATIVE', `cannot load the hutch native addon; tried:\n  ${failures.join('\n  ')}`, {
    cause: lastError,
    hint: REBUILD_HINT,
  });
}

// The first executable build/{Release,Debug}/<name>, or an error listing both tries.
function builtExecutable(name: string): string {
  const failures: string[] = [];
  let lastError: unknown;
  for (const dir of buildDirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch (err) {
      lastError = err;
      failures.push(`${file}: ${describe(err)}`);
    }
  }
  throw new HostError('ENATIVE', `cannot find the ${name} executable; tried:\n  ${failures.join('\n  ')}`, {
    cause: lastError,
    hint: REBUILD_HINT,
  });
}

/** Path of the built hutch-runtime executable (Release, else Debug). */
export function runtimeExecutablePath(): string {
  return builtExecutable('hutch-runtime');
}

/** Path of the built, statically linked hutch-init executable that `--init` bind-mounts into the container. */
export function initExecutablePath(): string {
  return builtExecutable('hutch-init');
}

/** Path of the built, statically linked hutch-monitor executable that `hutch-runtime monitor` starts per container. */
export function monitorExecutablePath(): string {
  return builtExecutable('hutch-monitor');
}
