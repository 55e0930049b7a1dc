import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemError } from '../../../src/errors.js';
import { loadNative } from '../../../src/native/index.js';

const native = loadNative();

function copyOf(binary: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-memfd-'));
  const file = join(dir, 'exe');
  copyFileSync(binary, file);
  return { dir, file };
}

test('the sealed copy runs through /proc/self/fd/<fd>', async (t) => {
  const { dir, file } = copyOf('/bin/true');
  try {
    const fd = native.sealedExecutable(file);
    t.true(Number.isInteger(fd) && fd > 2);
    t.is(spawnSync(`/proc/self/fd/${fd}`).status, 0);
    const code = await new Promise<number | null>((resolve, reject) => {
      spawn(`/proc/self/fd/${fd}`, { stdio: 'ignore' }).on('exit', resolve).on('error', reject);
    });
    t.is(code, 0);
    t.deepEqual(readFileSync(`/proc/self/fd/${fd}`), readFileSync('/bin/true'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('the copy is taken once per path and later changes to the file do not reach it', (t) => {
  const { dir, file } = copyOf('/bin/true');
  try {
    const fd = native.sealedExecutable(file);
    t.is(native.sealedExecutable(file), fd);
    copyFileSync('/bin/false', file);
    t.is(spawnSync(file).status, 1);
    t.is(spawnSync(`/proc/self/fd/${fd}`).status, 0);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('nobody can write to the sealed copy, root included', (t) => {
  const { dir, file } = copyOf('/bin/true');
  const original = readFileSync('/bin/true');
  try {
    const fd = native.sealedExecutable(file);
    const path = `/proc/self/fd/${fd}`;
    let writable: number | undefined;
    try {
      writable = openSync(path, 'r+');
    } catch (err) {
      t.true(['EACCES', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? ''));
    }
    if (writable !== undefined) {
      // Root passes the mode check; F_SEAL_WRITE/SHRINK/GROW still refuse.
      const fdw = writable;
      t.throws(() => writeSync(fdw, Buffer.from('pwned'), 0, 5, 0), { code: 'EPERM' });
      t.throws(() => ftruncateSync(fdw, 0), { code: 'EPERM' });
      t.throws(() => writeSync(fdw, Buffer.from('more'), 0, 4, original.length), { code: 'EPERM' });
      closeSync(fdw);
    }
    t.throws(() => writeFileSync(path, 'pwned'));
    t.deepEqual(readFileSync(path), original);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a missing or non-regular path is a SystemError naming it', (t) => {
  const missing = t.throws(() => native.sealedExecutable('/nonexistent/hutch-runtime'), { instanceOf: SystemError });
  t.is(missing?.code, 'ENOENT');
  t.is(missing?.path, '/nonexistent/hutch-runtime');
  const dir = t.throws(() => native.sealedExecutable('/tmp'), { instanceOf: SystemError });
  t.regex(dir?.message ?? '', /`\/tmp`/);
});
