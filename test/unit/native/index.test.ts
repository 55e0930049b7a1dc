import test from 'ava';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HostError, SystemError } from '../../../src/errors.js';
import { initExecutablePath, loadNative, runtimeExecutablePath } from '../../../src/native/index.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

test('loadNative loads the built addon once', (t) => {
  const native = loadNative();
  t.is(loadNative(), native);
  t.is(typeof native.probeUserNamespace, 'function');
});

test('addon errors are SystemErrors made by the installed factory', (t) => {
  const err = t.throws(() => loadNative().listxattr('/nonexistent/file'), { instanceOf: SystemError });
  t.like(err, { syscall: 'listxattr', errno: 2, code: 'ENOENT', path: '/nonexistent/file' });
  t.is(err?.message, 'listxattr `/nonexistent/file`: ENOENT (No such file or directory)');
});

test('runtimeExecutablePath finds the built hutch-runtime', (t) => {
  t.is(runtimeExecutablePath(), join(repo, 'build', 'Release', 'hutch-runtime'));
});

// hutch-init is bind-mounted into images with any libc or none: it must have
// no program interpreter (ELF64 PT_INTERP = 3), i.e. be statically linked.
test('initExecutablePath finds hutch-init, built static', (t) => {
  const path = initExecutablePath();
  t.is(path, join(repo, 'build', 'Release', 'hutch-init'));
  const elf = readFileSync(path);
  t.is(elf.toString('latin1', 1, 4), 'ELF');
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  const types = Array.from({ length: phnum }, (_, i) => elf.readUInt32LE(phoff + i * phentsize));
  t.true(types.includes(1), 'has PT_LOAD segments');
  t.false(types.includes(3), 'has a PT_INTERP (dynamically linked)');
});

// A copy of the loader in a package root without build/ must list what it tried.
test('a missing build reports every path tried and how to rebuild', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hutch-loader-'));
  try {
    mkdirSync(join(root, 'src', 'native'), { recursive: true });
    for (const file of ['src/errors.ts', 'src/native/index.ts', 'src/native/addon-types.ts'])
      copyFileSync(join(repo, file), join(root, file));
    const loader = (await import(pathToFileURL(join(root, 'src', 'native', 'index.ts')).href)) as typeof import('../../../src/native/index.js');
    const addonError = t.throws(() => loader.loadNative());
    t.is(addonError?.constructor.name, 'HostError');
    t.is((addonError as HostError).code, 'ENATIVE');
    t.true(addonError?.message.includes(join(root, 'build', 'Release', 'hutch.node')));
    t.true(addonError?.message.includes(join(root, 'build', 'Debug', 'hutch.node')));
    t.regex(addonError?.message ?? '', /cannot open shared object file: No such file or directory/);
    t.is((addonError as HostError).hint, 'run `npm rebuild hutch` (needs a C++ compiler and python3)');
    const runtimeError = t.throws(() => loader.runtimeExecutablePath());
    t.true(runtimeError?.message.includes(join(root, 'build', 'Release', 'hutch-runtime')));
    t.true(runtimeError?.message.includes(join(root, 'build', 'Debug', 'hutch-runtime')));
    t.regex(runtimeError?.message ?? '', /ENOENT/);
    const initError = t.throws(() => loader.initExecutablePath());
    t.true(initError?.message.includes(join(root, 'build', 'Debug', 'hutch-init')));
  } finally {
    rmSync(root, { recursive: true });
  }
});
