// Containers in a cgroup of their own, through the installed CLI as the
// unprivileged user started inside a cgroup v2 subtree delegated to it (the
// way systemd delegates user@UID.service; test/helpers/test-cgroup.ts): the
// placement beside the caller before the command runs, pause/unpause through
// the freezer, stop/kill/rm of a paused container, exec and foreground runs,
// removal by the monitor, resource limits where the controllers reach the
// subtree; and, outside a delegated subtree, the refusals naming what is missing.
import { access, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import anyTest, { type ImplementationFn, type TestFn } from 'ava';
import { spawnHutch, hutch, type HutchOptions } from '../helpers/installed-cli.js';
import { eventually, inspect, prepareLifecycleImage, psRows, psStatus, sameId, waitForStatus } from '../helpers/lifecycle-cli.js';
import type { RunImage } from '../helpers/run-image.js';
import { controllersUnavailable, delegationUnavailable, makeTestCgroup, type TestCgroup } from '../helpers/test-cgroup.js';
import type { RunResult } from '../helpers/test-user.js';

const test = anyTest as TestFn<{ image: RunImage }>;

const noDelegation = await delegationUnavailable();
const noControllers = noDelegation ?? (await controllersUnavailable(['cpu', 'memory', 'pids']));

/** The test, or a skip whose title says why (the kernel facility it needs is missing here). */
function when(reason: string | null): (title: string, fn: ImplementationFn<[], { image: RunImage }>) => void {
  return reason === null ? (title, fn) => test.serial(title, fn) : (title, fn) => test.serial.skip(`${title} [skipped: ${reason}]`, fn);
}
const delegated = when(noDelegation);

test.before(async (t) => {
  t.context.image = await prepareLifecycleImage();
});

test.after.always(async (t) => {
  const { image } = t.context;
  if (image === undefined) return;
  await hutch(['rm', '-f', '-a'], { store: image.store }).catch(() => undefined);
  await image.remove();
});

async function cgroupFor(t: { teardown: (fn: () => Promise<void>) => void }, isDelegated = true): Promise<TestCgroup> {
  const cg = await makeTestCgroup(isDelegated);
  t.teardown(() => cg.remove());
  return cg;
}

/** hutch started in `cg`'s session cgroup. */
function inCgroup(image: RunImage, cg: TestCgroup, args: readonly string[], options: HutchOptions = {}): Promise<RunResult> {
  return hutch(args, { store: image.store, timeout: 120_000, cgroup: cg.session, ...options });
}

async function okIn(image: RunImage, cg: TestCgroup, args: readonly string[]): Promise<string> {
  const result = await inCgroup(image, cg, args);
  if (result.exitCode !== 0) throw new Error(`hutch ${args.join(' ')} exited ${result.exitCode}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

async function detachedIn(image: RunImage, cg: TestCgroup, flags: readonly string[], command: readonly string[]): Promise<string> {
  const id = (await okIn(image, cg, ['run', '-d', ...flags, image.ref, ...command])).trim();
  await waitForStatus(image, id, 'running');
  return id;
}

/** The cgroup v2 path of a process, as the host sees it (/proc/PID/cgroup "0::"). */
async function cgroupOf(pid: number): Promise<string> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  return /^0::(.*)$/m.exec(text)![1]!;
}

const frozen = async (dir: string): Promise<string> => /^frozen (\d)$/m.exec(await readFile(join(dir, 'cgroup.events'), 'utf8'))![1]!;

delegated('a detached container gets its cgroup beside the caller before its command runs; it goes with the container', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const id = await detachedIn(image, cg, [], ['sh', '-c', 'cat /proc/self/cgroup; exec sleep 1000']);
  const { Pid: pid } = (await inspect(image, id)).State;
  const own = join(cg.dir, `hutch-${id}`);
  t.deepEqual(await cg.containerCgroups(), [own]);
  t.is(await cgroupOf(pid), `/${relative(cg.mount, own)}`, 'the init (the user\'s command itself) is in hutch-<id> beside the session');
  t.true((await readFile(join(own, 'cgroup.procs'), 'utf8')).split('\n').includes(String(pid)));
  // The command printed its own view first thing: the root of its cgroup namespace, which was
  // created once the init was in its cgroup, not before (it would show /../session then).
  const logs = await eventually('the cgroup line in the log', () => hutch(['logs', id], { store: image.store }), (r) => /^0::/m.test(r.stdout));
  t.regex(logs.stdout, /^0::\/$/m);
  t.is((await inCgroup(image, cg, ['rm', '-f', id])).exitCode, 0);
  t.deepEqual(await cg.containerCgroups(), [], 'rm removed the cgroup');
});

delegated('pause freezes the container (cgroup.events says so), ps and inspect show it, unpause resumes', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const id = await detachedIn(image, cg, ['--name', 'frozen-one'], ['sh', '-c', 'sleep 1000 & sleep 1000 & wait']);
  const dir = join(cg.dir, `hutch-${id}`);
  const paused = await hutch(['pause', 'frozen-one'], { store: image.store });
  t.is(paused.exitCode, 0, paused.stderr);
  t.is(paused.stdout, 'frozen-one\n');
  t.is(await frozen(dir), '1', 'every process of the cgroup is frozen');
  t.is((await readFile(join(dir, 'cgroup.procs'), 'utf8')).trim().split('\n').length, 3, 'sh and both sleeps are in it');
  t.regex((await psStatus(image, id))!, /^Paused/);
  const record = await inspect(image, id);
  t.is(record.State.Status, 'paused');
  t.is((record.State as { Paused?: boolean }).Paused, true);
  t.true(record.State.Pid > 0, 'a paused container keeps its pid');

  const again = await hutch(['pause', id], { store: image.store });
  t.is(again.exitCode, 125);
  t.regex(again.stderr, /already paused/);
  const exec = await hutch(['exec', id, 'true'], { store: image.store });
  t.is(exec.exitCode, 125);
  t.regex(exec.stderr, /paused/);
  const stop = await hutch(['stop', id], { store: image.store });
  t.is(stop.exitCode, 125);
  t.regex(stop.stderr, /can only stop created or running containers: frozen-one is paused/);
  t.regex(stop.stderr, /hutch unpause/);
  t.is((await inspect(image, id)).State.Status, 'paused', 'a refused stop changes nothing');

  const resumed = await hutch(['unpause', id], { store: image.store });
  t.is(resumed.exitCode, 0, resumed.stderr);
  t.is(await frozen(dir), '0');
  t.is((await inspect(image, id)).State.Status, 'running');
  t.is((await inCgroup(image, cg, ['exec', id, 'true'])).exitCode, 0);
  const unpauseRunning = await hutch(['unpause', id], { store: image.store });
  t.is(unpauseRunning.exitCode, 125);
  t.regex(unpauseRunning.stderr, /running, not paused/);
  await okIn(image, cg, ['rm', '-f', id]);
  t.deepEqual(await cg.containerCgroups(), []);
});

delegated('a paused container: kill reaches it, rm refuses it, rm -f kills and removes it', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const killed = await detachedIn(image, cg, [], ['sleep', '1000']);
  t.is((await hutch(['pause', killed], { store: image.store })).exitCode, 0);
  t.is((await hutch(['kill', '-s', 'KILL', killed], { store: image.store })).exitCode, 0);
  t.is((await waitForStatus(image, killed, 'exited')).State.ExitCode, 137, 'SIGKILL ends even frozen processes');

  const removed = await detachedIn(image, cg, [], ['sleep', '1000']);
  t.is((await hutch(['pause', removed], { store: image.store })).exitCode, 0);
  const refused = await hutch(['rm', removed], { store: image.store });
  t.not(refused.exitCode, 0);
  t.regex(refused.stderr, /paused/);
  const forced = await hutch(['rm', '-f', removed], { store: image.store });
  t.is(forced.exitCode, 0, forced.stderr);
  t.false((await psRows(image)).some((row) => sameId(row.id, removed)));
  await okIn(image, cg, ['rm', killed]);
  t.deepEqual(await cg.containerCgroups(), []);
});

delegated('exec joins the container\'s cgroup; from outside the delegated subtree it cannot, and says so', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const id = await detachedIn(image, cg, [], ['sleep', '1000']);
  // Outside the container's cgroup, the process would see a path relative to its namespace root (/../session).
  const exec = await inCgroup(image, cg, ['exec', id, 'sh', '-c', 'cat /proc/self/cgroup; cat /proc/$$/cgroup']);
  t.is(exec.exitCode, 0, exec.stderr);
  t.deepEqual(exec.stdout.split('\n').filter((line) => line.startsWith('0::')), ['0::/', '0::/']);
  t.is(exec.stderr, '');
  // From the test user's own cgroup, moving a process into the container's needs write access to the hierarchy's root.
  const outside = await hutch(['exec', id, 'cat', '/proc/self/cgroup'], { store: image.store });
  t.is(outside.exitCode, 0, outside.stderr);
  t.regex(outside.stderr, /warning: exec: the process runs outside the container's cgroup \(write \d+ to `[^`]+\/cgroup.procs`: EACCES \(Permission denied\)\), so pause will not freeze it/);
  t.regex(outside.stdout, /^0::\/\.\.\//m);
  await okIn(image, cg, ['rm', '-f', id]);
});

delegated('a foreground run has its cgroup too: another command pauses it; it goes when the run ends', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const { subprocess } = await spawnHutch(['run', '--rm', '--name', 'fg-pause', image.ref, 'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done'], { store: image.store, cgroup: cg.session, timeout: 120_000 });
  const row = await eventually('the foreground container running', () => psRows(image), (rows) => rows.some((r) => r.name === 'fg-pause' && r.status.startsWith('Up')));
  const id = row.find((r) => r.name === 'fg-pause')!.id;
  t.is((await cg.containerCgroups()).length, 1);
  t.is((await hutch(['pause', 'fg-pause'], { store: image.store })).exitCode, 0);
  t.regex((await psStatus(image, id))!, /^Paused/);
  t.is(await frozen((await cg.containerCgroups())[0]!), '1');
  t.is((await hutch(['unpause', 'fg-pause'], { store: image.store })).exitCode, 0);
  t.regex((await psStatus(image, id))!, /^Up/);
  subprocess.kill('SIGTERM');
  const result = await subprocess;
  t.is(result.exitCode, 7, String(result.stderr));
  t.deepEqual(await cg.containerCgroups(), [], 'the runtime removed the cgroup after the container exited');
});

/** Pids of the live children of `pid` (from /proc/PID/stat field 4). */
async function childrenOf(pid: number): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid && fields[0] !== 'Z') found.push(Number(name));
  }
  return found;
}

delegated('a foreground runtime killed outright cannot remove its container\'s cgroup: rm does', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const { subprocess } = await spawnHutch(['run', '--name', 'fg-killed', image.ref, 'sleep', '1000'], { store: image.store, cgroup: cg.session, timeout: 120_000 });
  await eventually('the foreground container running', () => psRows(image), (rows) => rows.some((r) => r.name === 'fg-killed' && r.status.startsWith('Up')));
  const [dir] = await cg.containerCgroups();
  const [runtime] = await childrenOf(subprocess.pid!);
  process.kill(runtime!, 'SIGKILL');
  await subprocess;
  // Its init had PR_SET_PDEATHSIG: it died with the runtime.
  await eventually('the container no longer up', () => psRows(image), (rows) => !rows.some((r) => r.name === 'fg-killed' && r.status.startsWith('Up')));
  t.true(await access(dir!).then(() => true, () => false), 'nothing removed it yet');
  await okIn(image, cg, ['rm', '-f', 'fg-killed']);
  t.deepEqual(await cg.containerCgroups(), []);
});

delegated('the monitor removes the cgroup of a container that ended by itself, after its restarts', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const id = (await okIn(image, cg, ['run', '-d', '--restart', 'on-failure:2', image.ref, 'sh', '-c', 'sleep 0.2; exit 3'])).trim();
  const record = await eventually('two restarts, then exited', () => inspect(image, id), (r) => r.State.Status === 'exited' && r.RestartCount === 2);
  t.is(record.State.ExitCode, 3);
  await eventually('the cgroup removed', () => cg.containerCgroups(), (dirs) => dirs.length === 0);
  t.deepEqual(await cg.containerCgroups(), []);
  await okIn(image, cg, ['rm', id]);
});

delegated('stats of a paused container come from its cgroup', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const id = await detachedIn(image, cg, [], ['sleep', '1000']);
  t.is((await hutch(['pause', id], { store: image.store })).exitCode, 0);
  const stats = await hutch(['stats', '--no-stream', '--format', 'json', id], { store: image.store });
  t.is(stats.exitCode, 0, stats.stderr);
  const [row] = JSON.parse(stats.stdout) as { ID: string; PIDs: string }[];
  t.is(row!.ID, id.slice(0, 12));
  t.is(row!.PIDs, '1');
  await okIn(image, cg, ['rm', '-f', id]);
});

when(noControllers)('--memory, --memory-swap, --cpus and --pids-limit are written to the container\'s cgroup and enforced', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const id = await detachedIn(image, cg, ['--memory', '64m', '--memory-swap', '96m', '--cpus', '0.5', '--pids-limit', '8'], ['sleep', '1000']);
  const dir = join(cg.dir, `hutch-${id}`);
  const file = (name: string) => readFile(join(dir, name), 'utf8').then((s) => s.trim(), () => null);
  t.is(await file('memory.max'), String(64 * 1024 * 1024));
  const swap = await file('memory.swap.max');
  if (swap !== null) t.is(swap, String(32 * 1024 * 1024), 'memory.swap.max is the swap part of --memory-swap');
  t.is(await file('cpu.max'), '50000 100000');
  t.is(await file('pids.max'), '8');
  t.like((await inspect(image, id)).HostConfig, { Memory: 64 * 1024 * 1024, MemorySwap: 96 * 1024 * 1024, NanoCpus: 500_000_000, PidsLimit: 8 } as object);
  const forks = await hutch(['exec', id, 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 100 & done; wait'], { store: image.store });
  t.not(forks.exitCode, 0);
  t.regex(forks.stderr, /fork|Resource temporarily unavailable/i);
  const stats = JSON.parse((await hutch(['stats', '--no-stream', '--format', 'json', id], { store: image.store })).stdout) as { MemUsage: string }[];
  t.regex(stats[0]!.MemUsage, /\/ 67\.1 MB$/, 'the limit shown is memory.max');
  await okIn(image, cg, ['rm', '-f', id]);
  t.deepEqual(await cg.containerCgroups(), []);
});

when(noDelegation ?? (noControllers === null ? 'the controllers are delegated here, so limits are accepted' : null))('where the controllers are not delegated, limits are refused naming the controller, and nothing is created', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t);
  const before = (await psRows(image)).length;
  const result = await inCgroup(image, cg, ['run', '-d', '--pids-limit', '8', image.ref, 'sleep', '1']);
  t.is(result.exitCode, 125);
  t.regex(result.stderr, /--pids-limit: resource limits need the container in a cgroup of its own .* but the pids controller is not (available|enabled) in /);
  t.regex(result.stderr, /Hint: .*or run without resource limits/);
  t.is((await psRows(image)).length, before);
  t.deepEqual(await cg.containerCgroups(), []);
});

delegated('outside a delegated subtree: limits are refused, and pause names what is missing', async (t) => {
  const { image } = t.context;
  const cg = await cgroupFor(t, false);
  const before = (await psRows(image)).length;
  const own = `/${relative(cg.mount, cg.session)}`;
  const limits = await inCgroup(image, cg, ['run', '-d', '--memory', '64m', '--cpus', '1', image.ref, 'sleep', '1']);
  t.is(limits.exitCode, 125);
  t.regex(limits.stderr, new RegExp(`--memory, --cpus: resource limits need .* but ${cg.dir}, the parent of your cgroup ${own}, is not delegated to you`));
  t.regex(limits.stderr, /Hint: run hutch inside a cgroup delegated to you, e\.g\. `systemd-run --user --scope hutch \.\.\.`/);
  t.is((await psRows(image)).length, before, 'nothing was created');

  const id = await detachedIn(image, cg, [], ['sleep', '1000']);
  t.deepEqual(await cg.containerCgroups(), [], 'without delegation the container runs without a cgroup of its own');
  const pause = await inCgroup(image, cg, ['pause', id]);
  t.is(pause.exitCode, 125);
  t.regex(pause.stderr, new RegExp(`cannot pause \\S+: pausing freezes the container's own cgroup \\(the cgroup v2 freezer\\), and \\S+ has none: ${cg.dir}, the parent of your cgroup ${own}, is not delegated to you`));
  t.regex(pause.stderr, /Hint: run hutch inside a cgroup delegated to you/);
  t.is((await inspect(image, id)).State.Status, 'running', 'a refused pause changes nothing');
  await okIn(image, cg, ['rm', '-f', id]);
});
