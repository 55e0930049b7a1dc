import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NativeAddon, ProbeResult } from '../../../src/native/addon-types.js';
import { gatherHostReport, type HostReport } from '../../../src/host/report.js';
import { currentUser } from '../../../src/host/user.js';

// The documented shape of `hutch info --format json` (docs/doctor.md): group → keys.
const SHAPE = {
  schemaVersion: null,
  host: ['arch', 'distro', 'kernel', 'machine'],
  user: ['gid', 'name', 'rootless', 'uid'],
  idmaps: ['newgidmap', 'newuidmap', 'subgid', 'subuid', 'suggestedRange'],
  namespaces: ['overlay', 'sysctls', 'userNamespace'],
  storage: ['root', 'runroot'],
  runtime: ['addon', 'fuseOverlayfs', 'node', 'rootfsMode', 'rootfsReason', 'runtimeExecutable', 'seccomp'],
  network: ['pasta', 'slirp4netns'],
  cgroups: ['chain', 'current', 'mount', 'path', 'userService', 'version'],
} as const;

interface OverlayCall {
  dirs: string[];
  existed: boolean;
}

function stubAddon(overlay: ProbeResult, calls: OverlayCall[]): NativeAddon {
  return {
    probeUserNamespace: () => ({ ok: true }),
    probeOverlayInUserNamespace: (...dirs: string[]) => {
      calls.push({ dirs, existed: dirs.every((d) => existsSync(d)) });
      return overlay;
    },
    probeFuseInUserNamespace: () => ({ ok: false, syscall: 'open /dev/fuse', errno: 13, code: 'EACCES' }),
    probeSeccomp: () => ({ ok: true, libseccompVersion: '2.5.4' }),
    getxattr: () => null,
  } as unknown as NativeAddon;
}

function fixture(): { paths: { root: string; runroot: string }; subuidFile: string; subgidFile: string } {
  const base = mkdtempSync(join(tmpdir(), 'hutch-report-'));
  const user = currentUser();
  const subuidFile = join(base, 'subuid');
  const subgidFile = join(base, 'subgid');
  writeFileSync(subuidFile, `${user.name}:100000:65536\n`);
  writeFileSync(subgidFile, `${user.uid}:200000:1000\nsomeone:300000:65536\n`);
  return { paths: { root: join(base, 'root'), runroot: join(base, 'run') }, subuidFile, subgidFile };
}

test('the JSON form has exactly the documented groups and keys, and survives a round trip', async (t) => {
  const f = fixture();
  const calls: OverlayCall[] = [];
  const report = await gatherHostReport(f.paths, { ...f, loadAddon: async () => stubAddon({ ok: true }, calls), locateRuntimeExecutable: async () => '/x/hutch-runtime' });
  const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
  t.deepEqual(Object.keys(json).sort(), Object.keys(SHAPE).sort());
  for (const [group, keys] of Object.entries(SHAPE)) {
    if (keys === null) continue;
    t.deepEqual(Object.keys(json[group] as object).sort(), [...keys], group);
  }
  t.is(report.schemaVersion, 1);
  t.deepEqual(report.idmaps.subuid.ranges, [{ start: 100000, count: 65536 }]);
  t.deepEqual(report.idmaps.subgid.ranges, [{ start: 200000, count: 1000 }]);
  t.is(report.runtime.rootfsMode, 'overlay');
  // Free in both files: past 100000+65536 (subuid) and clear of 200000..201000 (subgid), ending before 300000.
  t.deepEqual(report.idmaps.suggestedRange, { start: 231072, count: 65536 });
  t.is(report.runtime.runtimeExecutable, '/x/hutch-runtime');
  t.deepEqual(report.runtime.seccomp, { ok: true, libseccompVersion: '2.5.4' });
});

test('overlay scratch dirs exist during the probe, sit in the store tmp/ when the store exists, and are removed', async (t) => {
  const f = fixture();
  mkdirSync(f.paths.root);
  const calls: OverlayCall[] = [];
  const report = await gatherHostReport(f.paths, { ...f, loadAddon: async () => stubAddon({ ok: false, syscall: 'mount overlay', errno: 1, code: 'EPERM' }, calls) });
  t.is(calls.length, 1);
  t.true(calls[0]!.existed);
  t.true(calls[0]!.dirs.every((d) => d.startsWith(join(f.paths.root, 'tmp'))));
  t.deepEqual(readdirSync(join(f.paths.root, 'tmp')), []);
  t.deepEqual(report.namespaces.overlay, { ok: false, error: 'mount overlay: EPERM', testedIn: join(f.paths.root, 'tmp') });
  t.not(report.runtime.rootfsMode, 'overlay');
});

test('a store that does not exist is not created by the probe', async (t) => {
  const f = fixture();
  await gatherHostReport(f.paths, { ...f, loadAddon: async () => stubAddon({ ok: true }, []) });
  t.false(existsSync(f.paths.root));
  t.false(existsSync(f.paths.runroot));
});

test('a missing addon leaves the probes null and is reported with its error', async (t) => {
  const f = fixture();
  const report: HostReport = await gatherHostReport(f.paths, { ...f, loadAddon: async () => { throw new Error('cannot load the hutch native addon'); } });
  t.deepEqual(report.runtime.addon, { loaded: false, error: 'cannot load the hutch native addon' });
  t.is(report.namespaces.userNamespace, null);
  t.is(report.namespaces.overlay, null);
  t.is(report.runtime.seccomp, null);
  t.not(report.runtime.rootfsMode, 'overlay');
});

test('the rootfs mode says why: a failed overlay probe and a failed FUSE mount lead to a copy; HUTCH_ROOTFS_MODE forces one', async (t) => {
  const f = fixture();
  const failing = stubAddon({ ok: false, syscall: 'mount overlay', errno: 22, code: 'EINVAL' }, []);
  const env = { PATH: '/usr/bin:/bin' };
  const auto = await gatherHostReport(f.paths, { ...f, env, loadAddon: async () => failing });
  t.deepEqual(auto.runtime.fuseOverlayfs.mount, { ok: false, error: 'open /dev/fuse: EACCES' });
  if (auto.runtime.fuseOverlayfs.path !== null) {
    t.is(auto.runtime.rootfsMode, 'copy');
    t.regex(auto.runtime.rootfsReason, /^kernel overlay failed \(mount overlay: EINVAL\) and fuse-overlayfs cannot mount \(open \/dev\/fuse: EACCES\)/);
  }
  const forced = await gatherHostReport(f.paths, { ...f, env: { ...env, HUTCH_ROOTFS_MODE: 'fuse-overlayfs' }, loadAddon: async () => failing });
  t.is(forced.runtime.rootfsMode, 'fuse-overlayfs');
  t.is(forced.runtime.rootfsReason, 'set by HUTCH_ROOTFS_MODE=fuse-overlayfs');
});
