import test from 'ava';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemError } from '../../../src/errors.js';
import { loadNative } from '../../../src/native/index.js';

const native = loadNative();

function twoDescriptions(): { dir: string; file: string; a: number; b: number; close: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-lock-'));
  const file = join(dir, 'store.lock');
  writeFileSync(file, '');
  const a = openSync(file, 'r');
  const b = openSync(file, 'r');
  return {
    dir,
    file,
    a,
    b,
    close: () => {
      closeSync(a);
      closeSync(b);
      rmSync(dir, { recursive: true });
    },
  };
}

test('an exclusive lock excludes a second open file description', (t) => {
  const { a, b, close } = twoDescriptions();
  try {
    t.true(native.flock(a, 'exclusive', true));
    t.false(native.flock(b, 'exclusive', true));
    t.false(native.flock(b, 'shared', true));
    t.true(native.flock(a, 'unlock'));
    t.true(native.flock(b, 'exclusive', true));
  } finally {
    close();
  }
});

test('shared locks coexist and exclude an exclusive one', (t) => {
  const { a, b, close } = twoDescriptions();
  try {
    t.true(native.flock(a, 'shared', true));
    t.true(native.flock(b, 'shared', true));
    t.false(native.flock(b, 'exclusive', true));
  } finally {
    close();
  }
});

test('flockAsync waits for the holder to release, without blocking the event loop', async (t) => {
  const { a, b, close } = twoDescriptions();
  try {
    t.true(native.flock(a, 'exclusive'));
    let acquired = false;
    const waiting = native.flockAsync(b, 'exclusive').then(() => {
      acquired = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    t.false(acquired);
    native.flock(a, 'unlock');
    await waiting;
    t.true(acquired);
    t.false(native.flock(a, 'exclusive', true));
  } finally {
    close();
  }
});

test('flockAsync resolves at once when the lock is free', async (t) => {
  const { a, b, close } = twoDescriptions();
  try {
    await native.flockAsync(a, 'shared');
    await native.flockAsync(b, 'shared');
    t.false(native.flock(b, 'exclusive', true));
  } finally {
    close();
  }
});

test('errors name the syscall and the fd', async (t) => {
  const sync = t.throws(() => native.flock(1_000_000, 'exclusive'), { instanceOf: SystemError });
  t.is(sync?.code, 'EBADF');
  t.is(sync?.message, 'flock LOCK_EX `fd 1000000`: EBADF (Bad file descriptor)');
  const async = await t.throwsAsync(native.flockAsync(1_000_000, 'shared'), { instanceOf: SystemError });
  t.is(async?.code, 'EBADF');
  t.throws(() => (native.flock as (...args: unknown[]) => unknown)(0, 'bogus'), { instanceOf: TypeError });
  t.throws(() => (native.flockAsync as (...args: unknown[]) => unknown)(0, 'unlock'), { instanceOf: TypeError });
});

test('process.exit() works while a lock wait is pending', (t) => {
  const { file, a, close } = twoDescriptions();
  try {
    t.true(native.flock(a, 'exclusive'));
    const addon = fileURLToPath(new URL('../../../build/Release/hutch.node', import.meta.url));
    const script = `
      const native = require(${JSON.stringify(addon)});
      const fd = require('node:fs').openSync(${JSON.stringify(file)}, 'r');
      native.flockAsync(fd, 'exclusive').then(() => process.exit(1));
      setTimeout(() => process.exit(7), 100);
    `;
    const status = (() => {
      try {
        execFileSync(process.execPath, ['-e', script], { timeout: 20_000, stdio: 'ignore' });
        return 0;
      } catch (err) {
        return (err as { status: number | null }).status;
      }
    })();
    t.is(status, 7);
  } finally {
    close();
  }
});
