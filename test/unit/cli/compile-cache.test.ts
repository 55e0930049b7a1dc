import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCacheDir } from '../../../src/cli/compile-cache.js';

const uid = process.getuid!();

function scratch(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-cc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('uses $XDG_CACHE_HOME/hutch/compile-cache, created private', (t) => {
  const home = scratch(t);
  const dir = compileCacheDir({ XDG_CACHE_HOME: home }, uid);
  t.is(dir, join(home, 'hutch', 'compile-cache'));
  t.is(statSync(dir!).mode & 0o777, 0o700);
});

test('falls back to ~/.cache when XDG_CACHE_HOME is unset or relative', (t) => {
  const home = scratch(t);
  t.is(compileCacheDir({ HOME: home }, uid), join(home, '.cache', 'hutch', 'compile-cache'));
  t.is(compileCacheDir({ HOME: home, XDG_CACHE_HOME: 'relative' }, uid), join(home, '.cache', 'hutch', 'compile-cache'));
});

test('refuses a cache directory that others can write (they could plant compiled code)', (t) => {
  const home = scratch(t);
  mkdirSync(join(home, 'hutch', 'compile-cache'), { recursive: true });
  chmodSync(join(home, 'hutch', 'compile-cache'), 0o777);
  t.is(compileCacheDir({ XDG_CACHE_HOME: home }, uid), null);
  chmodSync(join(home, 'hutch', 'compile-cache'), 0o700);
  chmodSync(join(home, 'hutch'), 0o757);
  t.is(compileCacheDir({ XDG_CACHE_HOME: home }, uid), null);
});

test('refuses a symlinked cache directory', (t) => {
  const home = scratch(t);
  const elsewhere = scratch(t);
  mkdirSync(join(home, 'hutch'), { mode: 0o700 });
  symlinkSync(elsewhere, join(home, 'hutch', 'compile-cache'));
  t.is(compileCacheDir({ XDG_CACHE_HOME: home }, uid), null);
});

test('refuses a directory owned by another user', (t) => {
  const home = scratch(t);
  t.is(compileCacheDir({ XDG_CACHE_HOME: home }, uid + 1), null);
});
