import test from 'ava';
import { requireEnforceable } from '../../../src/runtime/resources.js';
import { HostError } from '../../../src/errors.js';
import type { CgroupDirReport, CgroupReport } from '../../../src/host/cgroup.js';

function dir(path: string, fields: Partial<CgroupDirReport> = {}): CgroupDirReport {
  return { path, writable: true, subtreeWritable: true, controllers: ['cpu', 'memory', 'pids'], subtreeControl: [], hasProcesses: false, ...fields };
}

const delegated: CgroupReport = {
  version: 'v2',
  mount: '/sys/fs/cgroup',
  path: '/box/session',
  current: dir('/box/session', { hasProcesses: true }),
  chain: [dir('/', { writable: false, subtreeWritable: false, subtreeControl: ['cpu', 'memory', 'pids'], hasProcesses: true }), dir('/box')],
  userService: null,
};

test('limits pass where the controllers can reach a cgroup beside the caller', (t) => {
  t.notThrows(() => requireEnforceable({ memory: { limit: 1 << 30 }, cpu: { quota: 1000, period: 100000 }, pids: { limit: 5 } }, delegated));
});

test('limits are refused with the flag, what is missing and what to do', (t) => {
  const v1 = t.throws(() => requireEnforceable({ memory: { limit: 1 << 30 } }, { version: 'v1', mount: null, path: null, current: null, chain: [], userService: null }), { instanceOf: HostError });
  t.regex(v1!.message, /^--memory: resource limits need .* but this host has no cgroup v2 hierarchy \(cgroup layout: v1\)/);
  t.regex(v1!.hint!, /systemd.unified_cgroup_hierarchy=1.*; or run without resource limits/);

  const notOwned = { ...delegated, chain: [delegated.chain[0]!, dir('/box', { writable: false })] };
  const owner = t.throws(() => requireEnforceable({ pids: { limit: 5 } }, notOwned), { instanceOf: HostError });
  t.regex(owner!.message, /^--pids-limit: .*\/sys\/fs\/cgroup\/box, the parent of your cgroup \/box\/session, is not delegated to you/);
  t.regex(owner!.hint!, /systemd-run --user --scope/);

  const hybrid: CgroupReport = { ...delegated, version: 'hybrid', mount: '/sys/fs/cgroup/unified', chain: [dir('/', { controllers: ['hugetlb'], subtreeControl: [] }), dir('/box', { controllers: [] })] };
  const missing = t.throws(() => requireEnforceable({ cpu: { quota: 1000, period: 100000 } }, hybrid), { instanceOf: HostError });
  t.regex(missing!.message, /^--cpus: .*the cpu controller is not available in \/sys\/fs\/cgroup\/unified \(cgroup.controllers: hugetlb\): this hybrid layout binds it to cgroup v1/);
});
