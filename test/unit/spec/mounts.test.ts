import test from 'ava';
import { DEFAULT_MASKED_PATHS, INIT_PATH_IN_CONTAINER, buildMounts, defaultDevices, maskedPaths, processMountOptions, type MountInput } from '../../../src/spec/mounts.js';

const base: MountInput = {
  network: 'none',
  readOnly: false,
  readOnlyTmpfs: true,
  userMounts: [],
  etcFiles: { hostname: '/s/hostname', hosts: '/s/hosts', resolvConf: '/s/resolv.conf' },
  gid5Mapped: true,
  mqueue: true,
  initPath: undefined,
};

const byDest = (input: MountInput) => Object.fromEntries(buildMounts(input).map((m) => [m.destination, m]));

test('default mounts as podman rootless with a private network', (t) => {
  const m = byDest(base);
  t.deepEqual(m['/proc'], { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] });
  t.deepEqual(m['/dev']!.options, ['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
  t.is(m['/dev']!.type, 'tmpfs');
  t.deepEqual(m['/dev/pts']!.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  t.deepEqual(m['/dev/shm']!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']);
  t.is(m['/dev/mqueue']!.type, 'mqueue');
  t.deepEqual(m['/sys'], { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
  t.is(m['/sys/fs/cgroup']!.type, 'cgroup');
  t.true(m['/sys/fs/cgroup']!.options.includes('ro'));
  for (const f of ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']) t.deepEqual(m[f]!.options, ['bind', 'rprivate']);
  t.is(m['/etc/hosts']!.source, '/s/hosts');
});

test('devpts drops gid=5 when gid 5 is not mapped; no mqueue without kernel support', (t) => {
  const m = byDest({ ...base, gid5Mapped: false, mqueue: false });
  t.false(m['/dev/pts']!.options.some((o) => o.startsWith('gid=')));
  t.false('/dev/mqueue' in m);
});

test('--network host: /sys is a read-only rbind of the host /sys, /sys/kernel masked', (t) => {
  const m = byDest({ ...base, network: 'host' });
  t.deepEqual(m['/sys'], { destination: '/sys', type: 'bind', source: '/sys', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'ro', 'rbind'] });
  t.true(maskedPaths('host', []).includes('/sys/kernel'));
  t.false(maskedPaths('none', []).includes('/sys/kernel'));
});

test('masked paths: podman defaults plus the host thermal_throttle dirs', (t) => {
  const paths = maskedPaths('none', ['/sys/devices/system/cpu/cpu0/thermal_throttle']);
  for (const p of ['/proc/kcore', '/proc/keys', '/sys/firmware', '/proc/interrupts', '/proc/acpi']) t.true(paths.includes(p));
  t.is(paths.length, DEFAULT_MASKED_PATHS.length + 1);
});

test('--read-only: tmpfs on /tmp, /var/tmp, /run; with --read-only-tmpfs=false /dev is read-only instead', (t) => {
  const ro = byDest({ ...base, readOnly: true });
  for (const d of ['/tmp', '/var/tmp', '/run']) t.deepEqual(ro[d]!.options, ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup']);
  t.false(ro['/dev']!.options.includes('ro'));
  const strict = byDest({ ...base, readOnly: true, readOnlyTmpfs: false });
  t.false('/tmp' in strict);
  t.true(strict['/dev']!.options.includes('ro'));
  t.false('/tmp' in byDest(base));
});

test('user bind options get podman defaults: rprivate + rbind, host flags repeated', (t) => {
  t.deepEqual(processMountOptions({ kind: 'bind', source: '/h', destination: '/c', options: ['ro'] }, undefined), ['ro', 'rprivate', 'rbind']);
  t.deepEqual(processMountOptions({ kind: 'bind', source: '/h', destination: '/c', options: ['bind'] }, undefined), ['bind', 'private']);
  t.deepEqual(processMountOptions({ kind: 'bind', source: '/h', destination: '/c', options: ['rshared'] }, { nosuid: true, nodev: true, noexec: false }), ['rshared', 'nosuid', 'nodev', 'rbind']);
  t.deepEqual(processMountOptions({ kind: 'bind', source: '/h', destination: '/c', options: ['suid'] }, { nosuid: true, nodev: false, noexec: true }), ['suid', 'rprivate', 'noexec', 'rbind']);
});

test('user tmpfs options get nosuid,nodev,tmpcopyup unless overridden', (t) => {
  t.deepEqual(processMountOptions({ kind: 'tmpfs', destination: '/t', options: [] }, undefined), ['rprivate', 'nosuid', 'nodev', 'tmpcopyup']);
  t.deepEqual(processMountOptions({ kind: 'tmpfs', destination: '/t', options: ['dev', 'notmpcopyup', 'size=1m'] }, undefined), ['dev', 'size=1m', 'rprivate', 'nosuid']);
});

test('a user mount replaces the default on the same destination; generated /etc files too', (t) => {
  const m = buildMounts({
    ...base,
    userMounts: [
      { kind: 'tmpfs', destination: '/dev/shm', options: ['size=1g'] },
      { kind: 'bind', source: '/my/hosts', destination: '/etc/hosts', options: ['ro'] },
    ],
  });
  t.is(m.filter((x) => x.destination === '/dev/shm').length, 1);
  t.true(m.find((x) => x.destination === '/dev/shm')!.options.includes('size=1g'));
  t.deepEqual(m.filter((x) => x.destination === '/etc/hosts').map((x) => x.source), ['/my/hosts']);
});

test('parents are mounted before children whatever the flag order', (t) => {
  const m = buildMounts({
    ...base,
    userMounts: [
      { kind: 'bind', source: '/h/inner', destination: '/data/inner', options: [] },
      { kind: 'tmpfs', destination: '/data', options: [] },
      { kind: 'bind', source: '/h/etc', destination: '/etc', options: [] },
    ],
  }).map((x) => x.destination);
  t.true(m.indexOf('/data') < m.indexOf('/data/inner'));
  t.true(m.indexOf('/etc') < m.indexOf('/etc/hosts'));
  t.true(m.indexOf('/dev') < m.indexOf('/dev/pts'));
  t.is(m[0], '/proc');
});

test('--init bind-mounts the init binary read-only', (t) => {
  const m = byDest({ ...base, initPath: '/opt/hutch/init' });
  t.deepEqual(m[INIT_PATH_IN_CONTAINER], { destination: INIT_PATH_IN_CONTAINER, type: 'bind', source: '/opt/hutch/init', options: ['bind', 'private', 'ro'] });
});

test('devices: null zero full random urandom tty', (t) => {
  t.deepEqual(
    defaultDevices().map((d) => [d.path, d.type, d.major, d.minor, d.fileMode]),
    [
      ['/dev/null', 'c', 1, 3, 0o666],
      ['/dev/zero', 'c', 1, 5, 0o666],
      ['/dev/full', 'c', 1, 7, 0o666],
      ['/dev/random', 'c', 1, 8, 0o666],
      ['/dev/urandom', 'c', 1, 9, 0o666],
      ['/dev/tty', 'c', 5, 0, 0o666],
    ],
  );
});
