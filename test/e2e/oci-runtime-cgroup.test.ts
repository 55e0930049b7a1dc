// `hutch runtime` with cgroups: linux.cgroupsPath and linux.resources of a
// bundle, as the unprivileged user started inside a delegated cgroup v2
// subtree (test/helpers/test-cgroup.ts) — placement (default, relative,
// absolute), limits written, pause/resume through the freezer and the state
// they give, exec joining the cgroup, removal by delete and run — and the
// errors: a path that cannot be made, resources that cannot be applied.
import { access, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import test, { type ImplementationFn } from 'ava';
import { makeOciBundle, ociRuntime, ociRuntimeToFiles, ociState, processAlive, writeConfig, type OciBundle } from '../helpers/lifecycle-oci.js';
import { controllersUnavailable, delegationUnavailable, makeTestCgroup, type TestCgroup } from '../helpers/test-cgroup.js';

const noDelegation = await delegationUnavailable();
const noPids = noDelegation ?? (await controllersUnavailable(['pids']));

function when(reason: string | null): (title: string, fn: ImplementationFn<[]>) => void {
  return reason === null ? (title, fn) => test.serial(title, fn) : (title, fn) => test.serial.skip(`${title} [skipped: ${reason}]`, fn);
}
const delegated = when(noDelegation);

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

async function setup(t: { teardown: (fn: () => Promise<void>) => void }, edit: (config: Record<string, any>) => void, isDelegated = true): Promise<{ bundle: OciBundle; cg: TestCgroup }> {
  const cg = await makeTestCgroup(isDelegated);
  t.teardown(() => cg.remove());
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'cat /proc/self/cgroup > /out/cgroup; exec sleep 1000'];
    edit(config);
  });
  t.teardown(() => bundle.remove());
  return { bundle, cg };
}

function create(bundle: OciBundle, cg: TestCgroup, id: string) {
  return ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, id], `create-${id}`, { cgroup: cg.session });
}

const runtime = (bundle: OciBundle, cg: TestCgroup, args: string[]) => ociRuntime(bundle.root, args, { cgroup: cg.session });

delegated('the init is placed in hutch-<id> beside the caller; pause/resume freeze it; delete removes it', async (t) => {
  const { bundle, cg } = await setup(t, () => {});
  const created = await create(bundle, cg, 'c1');
  t.is(created.exitCode, 0, created.stderr);
  const own = join(cg.dir, 'hutch-c1');
  const state = await ociState(bundle, 'c1');
  t.is(state.cgroupDir, own);
  t.deepEqual(await cg.containerCgroups(), [own]);
  t.true((await readFile(join(own, 'cgroup.procs'), 'utf8')).split('\n').includes(String(state.pid)), 'in its cgroup while created, before the user\'s process');

  t.is((await runtime(bundle, cg, ['start', 'c1'])).exitCode, 0);
  await waitForFile(join(bundle.out, 'cgroup'));
  t.regex(await readFile(join(bundle.out, 'cgroup'), 'utf8'), /^0::\/$/m, 'its cgroup namespace is rooted at its own cgroup');

  const paused = await runtime(bundle, cg, ['pause', 'c1']);
  t.is(paused.exitCode, 0, paused.stderr);
  t.is((await ociState(bundle, 'c1')).status, 'paused');
  t.regex(await readFile(join(own, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
  const pauseTwice = await runtime(bundle, cg, ['pause', 'c1']);
  t.is(pauseTwice.exitCode, 125);
  t.regex(pauseTwice.stderr, /pause: container `c1` is paused, must be running \(nothing changed\)/);
  const exec = await runtime(bundle, cg, ['exec', 'c1', '--', 'true']);
  t.regex(exec.stderr, /exec: container `c1` is paused, must be running/);
  const deletePaused = await runtime(bundle, cg, ['delete', 'c1']);
  t.regex(deletePaused.stderr, /delete: container `c1` is paused, must be stopped/);

  const resumed = await runtime(bundle, cg, ['resume', 'c1']);
  t.is(resumed.exitCode, 0, resumed.stderr);
  t.is((await ociState(bundle, 'c1')).status, 'running');
  t.regex(await readFile(join(own, 'cgroup.events'), 'utf8'), /^frozen 0$/m);
  const resumeRunning = await runtime(bundle, cg, ['resume', 'c1']);
  t.regex(resumeRunning.stderr, /resume: container `c1` is running, must be paused/);

  const execCgroup = await runtime(bundle, cg, ['exec', 'c1', '--', 'cat', '/proc/self/cgroup']);
  t.is(execCgroup.exitCode, 0, execCgroup.stderr);
  t.regex(execCgroup.stdout, /^0::\/$/m, 'exec joins the container\'s cgroup');

  t.is((await runtime(bundle, cg, ['pause', 'c1'])).exitCode, 0);
  const forced = await runtime(bundle, cg, ['delete', '--force', 'c1']);
  t.is(forced.exitCode, 0, forced.stderr);
  t.false(await processAlive(state.pid!));
  t.deepEqual(await cg.containerCgroups(), [], 'delete removed the cgroup');
});

delegated('linux.cgroupsPath: relative from the parent of the caller\'s cgroup, absolute from the root; unified files are written', async (t) => {
  const { bundle, cg } = await setup(t, (config) => {
    config.linux.cgroupsPath = 'group/rel';
    config.linux.resources = { unified: { 'cgroup.max.descendants': '0', 'cgroup.max.depth': '0' } };
  });
  t.is((await create(bundle, cg, 'rel')).exitCode, 0);
  const rel = join(cg.dir, 'group', 'rel');
  t.is((await ociState(bundle, 'rel')).cgroupDir, rel);
  t.is((await readFile(join(rel, 'cgroup.max.descendants'), 'utf8')).trim(), '0');
  t.is((await readFile(join(rel, 'cgroup.max.depth'), 'utf8')).trim(), '0');
  t.is((await runtime(bundle, cg, ['start', 'rel'])).exitCode, 0);
  // A container with limits never has a process outside its cgroup: exec from where it cannot be moved there fails.
  const outside = await ociRuntime(bundle.root, ['exec', 'rel', '--', 'true']);
  t.is(outside.exitCode, 125);
  t.regex(outside.stderr, /exec: the process must join the container's cgroup, which has limits, but write \d+ to `[^`]+\/cgroup.procs`: EACCES/);
  t.is((await runtime(bundle, cg, ['delete', '--force', 'rel'])).exitCode, 0);
  t.false(await exists(rel), 'the container\'s cgroup is removed; group/, which it did not own, stays');

  const absolute = `/${relative(cg.mount, cg.dir)}/abs`;
  const config = JSON.parse(await readFile(join(bundle.dir, 'config.json'), 'utf8'));
  config.linux.cgroupsPath = absolute;
  delete config.linux.resources;
  await writeConfig(bundle, config);
  t.is((await create(bundle, cg, 'abs')).exitCode, 0);
  t.is((await ociState(bundle, 'abs')).cgroupDir, join(cg.mount, absolute));
  t.is((await runtime(bundle, cg, ['delete', '--force', 'abs'])).exitCode, 0);
  t.false(await exists(join(cg.mount, absolute)));
});

delegated('run: the foreground container is in its cgroup, which goes when it exits', async (t) => {
  const { bundle, cg } = await setup(t, (config) => {
    config.process.args = ['sh', '-c', 'cat /proc/self/cgroup'];
  });
  const result = await ociRuntimeToFiles(bundle, ['run', '--bundle', bundle.dir, 'fg'], 'run-fg', { cgroup: cg.session });
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /^0::\/$/m);
  t.deepEqual(await cg.containerCgroups(), []);
});

delegated('without delegation: no cgroupsPath runs without a cgroup (pause says why); a cgroupsPath is an error naming the directory', async (t) => {
  const { bundle, cg } = await setup(t, () => {}, false);
  t.is((await create(bundle, cg, 'free')).exitCode, 0);
  t.is((await ociState(bundle, 'free')).cgroupDir, undefined);
  t.is((await runtime(bundle, cg, ['start', 'free'])).exitCode, 0);
  const pause = await runtime(bundle, cg, ['pause', 'free']);
  t.is(pause.exitCode, 125);
  t.regex(pause.stderr, /pause: container `free` has no cgroup of its own, which the cgroup v2 freezer needs/);
  t.is((await ociState(bundle, 'free')).status, 'running');
  t.is((await runtime(bundle, cg, ['delete', '--force', 'free'])).exitCode, 0);

  const config = JSON.parse(await readFile(join(bundle.dir, 'config.json'), 'utf8'));
  config.linux.cgroupsPath = 'mine';
  await writeConfig(bundle, config);
  const refused = await create(bundle, cg, 'pathed');
  t.is(refused.exitCode, 125);
  t.regex(refused.stderr, new RegExp(`cgroup: mkdir \`${cg.dir}/mine\`: EACCES \\(Permission denied\\): \`${cg.dir}\` is not delegated to you`));
  t.false(await exists(join(bundle.root, 'pathed')), 'nothing is left of the container');
});

delegated('resources that cannot be applied are refused, naming the field or the controller', async (t) => {
  const cases: [string, (config: Record<string, any>) => void, RegExp][] = [
    ['parent', (c) => { c.linux.cgroupsPath = '../escape'; }, /`linux.cgroupsPath` `..\/escape` must not contain `.` or `..`/],
    ['systemd', (c) => { c.linux.cgroupsPath = 'user.slice:hutch:x'; }, /systemd's slice:prefix:name form/],
    ['blockio', (c) => { c.linux.resources = { blockIO: { weight: 10 } }; }, /`linux.resources.blockIO` is not supported/],
    ['swap', (c) => { c.linux.resources = { memory: { limit: 67108864, swap: 1048576 } }; }, /`linux.resources.memory.swap` \(memory\+swap\) must be at least/],
    ['unified', (c) => { c.linux.resources = { unified: { '../cgroup.procs': '1' } }; }, /`linux.resources.unified.\.\.\/cgroup.procs` must name a cgroup v2 interface file/],
  ];
  for (const [id, edit, message] of cases) {
    const { bundle, cg } = await setup(t, edit);
    const result = await create(bundle, cg, id);
    t.is(result.exitCode, 125, id);
    t.regex(result.stderr, message, id);
    t.deepEqual(await cg.containerCgroups(), [], id);
  }
});

when(noDelegation ?? (noPids === null ? 'the pids controller reaches the subtree here, so the limit applies' : null))('a limit whose controller is not delegated is refused with the cgroup that lacks it', async (t) => {
  const { bundle, cg } = await setup(t, (config) => {
    config.linux.resources = { pids: { limit: 8 } };
  });
  const result = await create(bundle, cg, 'nopids');
  t.is(result.exitCode, 125);
  t.regex(result.stderr, /cgroup: the `pids` controller is not available in `\/sys\/fs\/cgroup(\/unified)?` \(cgroup.controllers: [^)]*\)/);
  t.deepEqual(await cg.containerCgroups(), [], 'the half-made cgroup is removed');
  t.false(await exists(join(bundle.root, 'nopids')));
});

when(noPids)('pids.limit is written and enforced', async (t) => {
  const { bundle, cg } = await setup(t, (config) => {
    config.linux.resources = { pids: { limit: 4 } };
    config.process.args = ['sh', '-c', 'for i in 1 2 3 4 5 6; do sleep 100 & done 2>/out/forks; echo done > /out/cgroup; exec sleep 1000'];
  });
  t.is((await create(bundle, cg, 'pids')).exitCode, 0);
  t.is((await readFile(join(cg.dir, 'hutch-pids', 'pids.max'), 'utf8')).trim(), '4');
  t.is((await runtime(bundle, cg, ['start', 'pids'])).exitCode, 0);
  await waitForFile(join(bundle.out, 'cgroup'));
  t.regex(await readFile(join(bundle.out, 'forks'), 'utf8'), /fork|Resource temporarily unavailable/i);
  t.is((await runtime(bundle, cg, ['delete', '--force', 'pids'])).exitCode, 0);
  t.deepEqual(await cg.containerCgroups(), []);
});

// The shell creates the file before the command writes it: wait for a whole line.
async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await readFile(path, 'utf8').catch(() => '')).endsWith('\n')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${path} never got a line`);
}
