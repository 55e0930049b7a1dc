import test from 'ava';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemError } from '../../../src/errors.js';
import { loadNative } from '../../../src/native/index.js';

const native = loadNative();

function scratch(): { dir: string; file: string; link: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-xattr-'));
  const file = join(dir, 'file');
  writeFileSync(file, 'x');
  const link = join(dir, 'link');
  symlinkSync('file', link);
  return { dir, file, link };
}

test('set, get, list and remove round-trip binary values', (t) => {
  const { dir, file } = scratch();
  try {
    const small = Buffer.from([0, 1, 2, 0, 255]);
    const large = Buffer.alloc(3000, 'v');
    native.setxattr(file, 'user.hutch.small', small);
    native.setxattr(file, 'user.hutch.large', large);
    t.deepEqual(native.getxattr(file, 'user.hutch.small'), small);
    t.deepEqual(native.getxattr(file, 'user.hutch.large'), large);
    t.deepEqual(native.listxattr(file).filter((n) => n.startsWith('user.hutch.')).sort(), ['user.hutch.large', 'user.hutch.small']);
    native.setxattr(file, 'user.hutch.small', Buffer.from('replaced'));
    t.is(native.getxattr(file, 'user.hutch.small')?.toString(), 'replaced');
    native.setxattr(file, 'user.hutch.empty', Buffer.alloc(0));
    t.deepEqual(native.getxattr(file, 'user.hutch.empty'), Buffer.alloc(0));
    native.removexattr(file, 'user.hutch.small');
    t.is(native.getxattr(file, 'user.hutch.small'), null);
    t.false(native.listxattr(file).includes('user.hutch.small'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('getxattr returns null for an absent attribute, removexattr throws ENODATA', (t) => {
  const { dir, file } = scratch();
  try {
    t.is(native.getxattr(file, 'user.hutch.absent'), null);
    const err = t.throws(() => native.removexattr(file, 'user.hutch.absent'), { instanceOf: SystemError });
    t.is(err?.code, 'ENODATA');
    t.is(err?.syscall, 'removexattr user.hutch.absent');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('without noFollow a symlink is followed to its target', (t) => {
  const { dir, file, link } = scratch();
  try {
    native.setxattr(link, 'user.hutch.via', Buffer.from('target'));
    t.is(native.getxattr(file, 'user.hutch.via')?.toString(), 'target');
    t.is(native.getxattr(link, 'user.hutch.via')?.toString(), 'target');
    t.true(native.listxattr(link).includes('user.hutch.via'));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('noFollow acts on the symlink itself, never on its target', (t) => {
  const { dir, file, link } = scratch();
  try {
    native.setxattr(file, 'user.hutch.on-target', Buffer.from('t'));
    // The kernel keeps user.* off symlinks: reads find nothing, writes get EPERM.
    t.is(native.getxattr(link, 'user.hutch.on-target', { noFollow: true }), null);
    t.false(native.listxattr(link, { noFollow: true }).includes('user.hutch.on-target'));
    const err = t.throws(() => native.setxattr(link, 'user.hutch.on-link', Buffer.from('l'), { noFollow: true }), {
      instanceOf: SystemError,
    });
    t.is(err?.code, 'EPERM');
    t.is(err?.message, `lsetxattr user.hutch.on-link \`${link}\`: EPERM (Operation not permitted)`);
    t.is(native.getxattr(file, 'user.hutch.on-link'), null);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a dangling symlink fails when followed and not with noFollow', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-xattr-'));
  try {
    const dangling = join(dir, 'dangling');
    symlinkSync('missing', dangling);
    const err = t.throws(() => native.getxattr(dangling, 'user.hutch.x'), { instanceOf: SystemError });
    t.is(err?.code, 'ENOENT');
    t.is(err?.errno, 2);
    t.is(err?.path, dangling);
    t.is(native.getxattr(dangling, 'user.hutch.x', { noFollow: true }), null);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('bad arguments are TypeErrors, not crashes', (t) => {
  t.throws(() => (native.getxattr as (...args: unknown[]) => unknown)(42, 'user.x'), { instanceOf: TypeError });
  t.throws(() => (native.setxattr as (...args: unknown[]) => unknown)('/tmp', 'user.x', 'not a buffer'), {
    instanceOf: TypeError,
  });
});
