import test from 'ava';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ancestorsOf, canWrite, cgroupProblem, cgroupVersionFromMagic, inspectHierarchy, parseCgroupV2Path, type CgroupReport } from '../../../src/host/cgroup.js';

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

test('containers go beside the caller: the chain ends at the parent of its cgroup', (t) => {
  t.deepEqual(ancestorsOf('/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope'), [
    '/', '/user.slice', '/user.slice/user-1000.slice', '/user.slice/user-1000.slice/user@1000.service', '/user.slice/user-1000.slice/user@1000.service/app.slice',
  ]);
  t.deepEqual(ancestorsOf('/a'), ['/']);
  t.deepEqual(ancestorsOf('/'), ['/']);
});

test('write permission as the kernel checks it on cgroupfs', (t) => {
  const user = { uid: 1000, gids: [1000, 27] };
  t.true(canWrite({ mode: 0o40755, uid: 1000, gid: 0 }, user));
  t.false(canWrite({ mode: 0o40555, uid: 1000, gid: 0 }, user));
  t.false(canWrite({ mode: 0o40755, uid: 0, gid: 0 }, user));
  t.true(canWrite({ mode: 0o40775, uid: 0, gid: 27 }, user));
  t.true(canWrite({ mode: 0o100646, uid: 0, gid: 0 }, user));
  t.true(canWrite({ mode: 0o40555, uid: 5, gid: 5 }, { uid: 0, gids: [] }), 'root writes anything');
});

// A fixture hierarchy: `dirs` maps cgroup paths to their files; `owned` ones
// belong to the user (the way systemd's Delegate= chowns a subtree), the
// others to someone else and read-only for the user.
interface FixtureDir {
  controllers: string;
  subtree: string;
  procs: string;
  owned: boolean;
}

const USER = { uid: process.getuid?.() === 0 ? 4242 : process.getuid!(), gids: [4242] };

async function hierarchy(t: { teardown: (fn: () => Promise<void>) => void }, dirs: Record<string, FixtureDir>): Promise<string> {
  const mount = await mkdtemp(join(tmpdir(), 'hutch-cgroup-fixture-'));
  t.teardown(() => rm(mount, { recursive: true, force: true }));
  for (const [path, dir] of Object.entries(dirs)) {
    const full = join(mount, path);
    await mkdir(full, { recursive: true });
    await writeFile(join(full, 'cgroup.controllers'), `${dir.controllers}\n`);
    await writeFile(join(full, 'cgroup.subtree_control'), `${dir.subtree}\n`);
    await writeFile(join(full, 'cgroup.procs'), dir.procs);
  }
  // Ownership last, deepest first, so that a read-only parent does not stop its children being written.
  for (const [path, dir] of Object.entries(dirs).reverse()) {
    const full = join(mount, path);
    for (const file of ['cgroup.procs', 'cgroup.subtree_control', '']) {
      if (process.getuid?.() === 0 && dir.owned) await chown(join(full, file), USER.uid, USER.uid);
      await chmod(join(full, file), dir.owned ? (file === '' ? 0o755 : 0o644) : file === '' ? 0o555 : 0o444);
    }
  }
  return mount;
}

function report(mount: string, own: string, found: Awaited<ReturnType<typeof inspectHierarchy>>, version: CgroupReport['version'] = 'v2'): CgroupReport {
  return { version, mount, path: own, ...found };
}

// What systemd makes: user@UID.service and below belong to the user.
const SYSTEMD = {
  '/': { controllers: 'cpuset cpu io memory pids', subtree: 'cpuset cpu io memory pids', procs: '1\n', owned: false },
  '/user.slice': { controllers: 'cpuset cpu io memory pids', subtree: 'cpu memory pids', procs: '', owned: false },
  '/user.slice/user-4242.slice': { controllers: 'cpu memory pids', subtree: 'memory pids', procs: '', owned: false },
  '/user.slice/user-4242.slice/session-2.scope': { controllers: 'cpu memory pids', subtree: '', procs: '700\n', owned: false },
  '/user.slice/user-4242.slice/user@4242.service': { controllers: 'memory pids', subtree: 'pids', procs: '', owned: true },
  '/user.slice/user-4242.slice/user@4242.service/app.slice': { controllers: 'memory pids', subtree: '', procs: '', owned: true },
  '/user.slice/user-4242.slice/user@4242.service/app.slice/run-r1.scope': { controllers: '', subtree: '', procs: '900\n', owned: true },
};

test('a scope inside user@UID.service: containers get a cgroup, with every delegated controller', async (t) => {
  if (USER.uid !== 4242) return t.pass('the fixture names user 4242; as another user the paths differ');
  const mount = await hierarchy(t, SYSTEMD);
  const own = '/user.slice/user-4242.slice/user@4242.service/app.slice/run-r1.scope';
  const r = report(mount, own, await inspectHierarchy(mount, own, USER));
  t.is(r.chain.at(-1)!.path, '/user.slice/user-4242.slice/user@4242.service/app.slice');
  t.true(r.chain.at(-1)!.writable);
  t.true(r.current!.hasProcesses);
  t.true(r.userService!.writable);
  t.is(cgroupProblem(r, []), null, 'pause works');
  t.is(cgroupProblem(r, ['memory', 'pids']), null, 'app.slice can enable what user@ gives it');
  const cpu = cgroupProblem(r, ['cpu']);
  t.regex(cpu!.problem, /the cpu controller is not enabled in .*\/user-4242.slice\/cgroup.subtree_control, which is not writable by you/);
  t.regex(cpu!.hint, /Delegate=cpu/);
});

test('a login session scope: its parent is root\'s, so nothing can be placed; the hint names user@UID.service', async (t) => {
  if (USER.uid !== 4242) return t.pass('the fixture names user 4242');
  const mount = await hierarchy(t, SYSTEMD);
  const own = '/user.slice/user-4242.slice/session-2.scope';
  const r = report(mount, own, await inspectHierarchy(mount, own, USER));
  const found = cgroupProblem(r, []);
  t.regex(found!.problem, new RegExp(`${mount}/user.slice/user-4242.slice, the parent of your cgroup /user.slice/user-4242.slice/session-2.scope, is not delegated to you`));
  t.regex(found!.hint, /systemd-run --user --scope hutch/);
  t.regex(found!.hint, /user@4242.service/);
});

test('a hand-made delegation (root chowned a cgroup): the parent has no processes, the caller sits in a child', async (t) => {
  const mount = await hierarchy(t, {
    '/': { controllers: 'hugetlb', subtree: '', procs: '1\n', owned: false },
    '/box': { controllers: '', subtree: '', procs: '', owned: true },
    '/box/session': { controllers: '', subtree: '', procs: '1234\n', owned: true },
  });
  const r = report(mount, '/box/session', await inspectHierarchy(mount, '/box/session', USER), 'hybrid');
  t.is(r.userService, null);
  t.is(cgroupProblem(r, []), null, 'the freezer needs no controller');
  const memory = cgroupProblem(r, ['memory']);
  t.regex(memory!.problem, new RegExp(`the memory controller is not available in ${mount} \\(cgroup.controllers: hugetlb\\): this hybrid layout binds it to cgroup v1`));
  t.regex(memory!.hint, /systemd.unified_cgroup_hierarchy=1/);
  const noSystemd = cgroupProblem(report(mount, '/', await inspectHierarchy(mount, '/', USER), 'hybrid'), []);
  t.regex(noSystemd!.problem, new RegExp(`${mount}, the parent of your cgroup /, is not delegated to you`));
  t.regex(noSystemd!.hint, /loginctl enable-linger/);
  t.regex(noSystemd!.hint, /chown it and its cgroup.procs, cgroup.subtree_control and cgroup.threads/);
});

test('a delegated cgroup with processes of its own cannot enable controllers for the containers beside the caller', async (t) => {
  const mount = await hierarchy(t, {
    '/': { controllers: 'cpu memory pids', subtree: 'cpu memory pids', procs: '1\n', owned: false },
    '/box': { controllers: 'cpu memory pids', subtree: '', procs: '77\n', owned: true },
    '/box/session': { controllers: '', subtree: '', procs: '1234\n', owned: true },
  });
  const r = report(mount, '/box/session', await inspectHierarchy(mount, '/box/session', USER));
  t.is(cgroupProblem(r, []), null);
  t.regex(cgroupProblem(r, ['pids'])!.problem, new RegExp(`the pids controller is not enabled in ${mount}/box/cgroup.subtree_control, and ${mount}/box has processes of its own`));
});

test('no cgroup v2 at all', (t) => {
  const found = cgroupProblem({ version: 'v1', mount: null, path: null, current: null, chain: [], userService: null }, []);
  t.regex(found!.problem, /no cgroup v2 hierarchy \(cgroup layout: v1\)/);
  t.regex(found!.hint, /systemd.unified_cgroup_hierarchy=1/);
});
