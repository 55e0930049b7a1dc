import test from 'ava';
import { UsageError } from '../../../src/errors.js';
import { chooseRootfsMode, fuseUnusable, rootfsSetting, type FuseOverlayfsReport } from '../../../src/host/rootfs-mode.js';

const fuseOk: FuseOverlayfsReport = { path: '/usr/bin/fuse-overlayfs', devFuse: true, mount: { ok: true } };
const overlayFailed = { ok: false, error: 'mount overlay: EINVAL' };

test('automatic selection: kernel overlay first, then fuse-overlayfs, then a copy, each with its reason', (t) => {
  t.deepEqual(chooseRootfsMode({ ok: true }, fuseOk), { mode: 'overlay', mountProgram: null, reason: 'kernel overlayfs mounts in a user namespace' });
  t.deepEqual(chooseRootfsMode(overlayFailed, fuseOk), {
    mode: 'fuse-overlayfs',
    mountProgram: '/usr/bin/fuse-overlayfs',
    reason: 'kernel overlay failed (mount overlay: EINVAL); /usr/bin/fuse-overlayfs mounts in a user namespace',
  });
  const noFuse = chooseRootfsMode(overlayFailed, { path: null, devFuse: true, mount: null });
  t.is(noFuse.mode, 'copy');
  t.regex(noFuse.reason, /^kernel overlay failed \(mount overlay: EINVAL\) and fuse-overlayfs is not installed: /);
  const deniedDevice = chooseRootfsMode(overlayFailed, { path: '/usr/bin/fuse-overlayfs', devFuse: false, mount: { ok: false, error: 'open /dev/fuse: EACCES' } });
  t.is(deniedDevice.mode, 'copy');
  t.regex(deniedDevice.reason, /fuse-overlayfs cannot mount \(open \/dev\/fuse: EACCES\)/);
});

test('an untested FUSE mount falls back on /dev/fuse access', (t) => {
  t.is(fuseUnusable({ path: '/f', devFuse: true, mount: null }), null);
  t.regex(fuseUnusable({ path: '/f', devFuse: false, mount: null }) ?? '', /\/dev\/fuse is not readable and writable/);
});

test('a setting wins over the probes and is named as the reason', (t) => {
  const env = rootfsSetting({ HUTCH_ROOTFS_MODE: 'copy' });
  t.deepEqual(chooseRootfsMode({ ok: true }, fuseOk, env), { mode: 'copy', mountProgram: null, reason: 'set by HUTCH_ROOTFS_MODE=copy' });
  const opt = rootfsSetting({}, ['overlay.mount_program=/opt/fuse-overlayfs']);
  t.deepEqual(opt, { mode: 'fuse-overlayfs', mountProgram: '/opt/fuse-overlayfs', source: '--storage-opt overlay.mount_program=/opt/fuse-overlayfs' });
  const both = rootfsSetting({ HUTCH_ROOTFS_MODE: 'fuse-overlayfs' }, ['overlay.mount_program=/opt/f']);
  t.is(both.source, 'HUTCH_ROOTFS_MODE=fuse-overlayfs and --storage-opt overlay.mount_program=/opt/f');
  t.deepEqual(rootfsSetting({ HUTCH_ROOTFS_MODE: '' }), {});
});

test('bad settings are usage errors naming the value', (t) => {
  t.throws(() => rootfsSetting({ HUTCH_ROOTFS_MODE: 'vfs' }), { instanceOf: UsageError, message: 'HUTCH_ROOTFS_MODE=vfs: not a rootfs mode' });
  t.throws(() => rootfsSetting({}, ['overlay.mountopt=nodev']), { instanceOf: UsageError, message: /--storage-opt "overlay.mountopt=nodev": unknown option/ });
  t.throws(() => rootfsSetting({}, ['overlay.mount_program=fuse-overlayfs']), { instanceOf: UsageError, message: /must be an absolute path/ });
  t.throws(() => rootfsSetting({ HUTCH_ROOTFS_MODE: 'copy' }, ['overlay.mount_program=/f']), { instanceOf: UsageError, message: /contradicts/ });
});
