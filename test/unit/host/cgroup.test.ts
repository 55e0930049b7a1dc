import test from 'ava';
import { cgroupVersionFromMagic, isDelegated, parseCgroupV2Path } from '../../../src/host/cgroup.js';

test('the v2 path comes from the "0::" line, also in hybrid layouts', (t) => {
  t.is(parseCgroupV2Path('0::/user.slice/user-1000.slice/session-2.scope\n'), '/user.slice/user-1000.slice/session-2.scope');
  t.is(parseCgroupV2Path('12:pids:/user.slice\n1:name=systemd:/user.slice\n0::/\n'), '/');
  t.is(parseCgroupV2Path('4:memory:/docker/abc\n1:name=systemd:/\n'), null);
});

test('layout from the filesystem magics', (t) => {
  t.is(cgroupVersionFromMagic(0x63677270, null), 'v2');
  t.is(cgroupVersionFromMagic(0x01021994, 0x63677270), 'hybrid');
  t.is(cgroupVersionFromMagic(0x01021994, null), 'v1');
  t.is(cgroupVersionFromMagic(null, null), 'none');
});

test('delegation needs a writable directory with cpu, memory and pids', (t) => {
  const dir = { path: '/x', writable: true, controllers: ['cpu', 'memory', 'pids'], subtreeControl: [] };
  t.true(isDelegated(dir));
  t.false(isDelegated({ ...dir, writable: false }));
  t.false(isDelegated({ ...dir, controllers: ['cpu', 'pids'] }));
  t.false(isDelegated(null));
});
