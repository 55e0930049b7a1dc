// Detached containers through the installed CLI as the unprivileged user:
// run -d, ps, exec, stop, logs, rm, wait, kill, restart, rename, rm -f, prune,
// inspect, top, create/start, --rm, --restart, names and IDs, pause.
import anyTest, { type TestFn } from 'ava';
import { spawnHutch } from '../helpers/installed-cli.js';
import type { RunImage } from '../helpers/run-image.js';
import { alive, eventually, h, inspect, monitorPid, ok, prepareLifecycleImage, psRows, psStatus, runDetached, sameId, waitForFileInContainer, waitForStatus } from '../helpers/lifecycle-cli.js';

const test = anyTest as TestFn<{ image: RunImage }>;

test.before(async (t) => {
  t.context.image = await prepareLifecycleImage();
});

test.after.always(async (t) => {
  const { image } = t.context;
  if (image === undefined) return;
  await h(image, ['rm', '-f', '-a']).catch(() => undefined);
  await image.remove();
});

test('run -d → ps Up → exec → stop → ps Exited → logs → rm', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'echo hello; echo oops >&2; exec sleep 1000']);
  const status = await eventually('ps Up', () => psStatus(image, id), (s) => s !== undefined && s.startsWith('Up'));
  t.regex(status!, /^Up /);
  t.true((await psRows(image, [])).some((row) => sameId(row.id, id)), 'ps without -a lists a running container');
  t.is((await h(image, ['exec', id, 'true'])).exitCode, 0);

  // sleep as pid 1 has no TERM handler: the kernel drops SIGTERM, so stop must fall back to SIGKILL after -t.
  const stopped = await h(image, ['stop', '-t', '1', id]);
  t.is(stopped.exitCode, 0, stopped.stderr);
  t.regex(stopped.stdout, new RegExp(`^${id.slice(0, 12)}|^${id}`));
  const record = await waitForStatus(image, id, 'exited');
  t.is(record.State.ExitCode, 137);
  t.regex((await psStatus(image, id))!, /^Exited \(137\) /);
  t.false((await psRows(image, [])).some((row) => sameId(row.id, id)), 'ps without -a hides an exited container');

  const logs = await h(image, ['logs', id]);
  t.is(logs.exitCode, 0, logs.stderr);
  t.is(logs.stdout, 'hello\n');
  t.is(logs.stderr, 'oops\n');

  t.is((await h(image, ['rm', id])).exitCode, 0);
  t.is(await psStatus(image, id), undefined);
  const again = await h(image, ['inspect', id]);
  t.not(again.exitCode, 0);
  t.regex(again.stderr, new RegExp(id.slice(0, 12)));
});

test('stop sends SIGTERM first: a process that traps it exits with its own status', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'trap "exit 3" TERM; touch /tmp/ready; while true; do sleep 0.1; done']);
  await waitForFileInContainer(image, id, '/tmp/ready');
  t.is((await h(image, ['stop', '-t', '30', id])).exitCode, 0);
  t.is((await inspect(image, id)).State.ExitCode, 3);
  t.regex((await psStatus(image, id))!, /^Exited \(3\) /);
  await ok(image, ['rm', id]);
});

test('wait prints the exit code', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.1; done; exit 42']);
  const waiting = h(image, ['wait', id]);
  await ok(image, ['exec', id, 'touch', '/tmp/go']);
  const waited = await waiting;
  t.is(waited.exitCode, 0, waited.stderr);
  t.is(waited.stdout.trim(), '42');
  t.is((await h(image, ['wait', id])).stdout.trim(), '42', 'wait on an exited container returns at once');
  await ok(image, ['rm', id]);
});

test('kill -s delivers the signal; default SIGKILL', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'trap "echo got-usr1" USR1; touch /tmp/ready; while true; do sleep 0.1; done']);
  await waitForFileInContainer(image, id, '/tmp/ready');
  t.is((await h(image, ['kill', '-s', 'USR1', id])).exitCode, 0);
  await eventually('usr1 in logs', () => h(image, ['logs', id]), (r) => r.stdout.includes('got-usr1'));
  t.is((await inspect(image, id)).State.Status, 'running');
  t.is((await h(image, ['kill', id])).exitCode, 0);
  const record = await waitForStatus(image, id, 'exited');
  t.is(record.State.ExitCode, 137);
  const notRunning = await h(image, ['kill', id]);
  t.not(notRunning.exitCode, 0);
  t.regex(notRunning.stderr, /not running|exited|stopped/i);
  await ok(image, ['rm', id]);
});

test('restart runs the container again (new StartedAt, same ID)', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'echo start; exec sleep 1000']);
  const first = await waitForStatus(image, id, 'running');
  t.is((await h(image, ['restart', '-t', '1', id])).exitCode, 0);
  const second = await waitForStatus(image, id, 'running');
  t.not(second.State.Pid, first.State.Pid);
  t.true(second.State.StartedAt > first.State.StartedAt, `${second.State.StartedAt} after ${first.State.StartedAt}`);
  await eventually('two starts in the log', () => h(image, ['logs', id]), (r) => r.stdout === 'start\nstart\n');
  await ok(image, ['rm', '-f', id]);
});

test('rename changes the name; the old one is free, a taken one is refused', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, ['--name', 'before-rename']);
  const other = await runDetached(image, ['--name', 'taken-name']);
  t.is((await h(image, ['rename', 'before-rename', 'after-rename'])).exitCode, 0);
  t.is((await inspect(image, id)).Name.replace(/^\//, ''), 'after-rename');
  t.not((await h(image, ['inspect', 'before-rename'])).exitCode, 0);
  const clash = await h(image, ['rename', 'after-rename', 'taken-name']);
  t.not(clash.exitCode, 0);
  t.regex(clash.stderr, /taken-name/);
  t.is((await inspect(image, id)).Name.replace(/^\//, ''), 'after-rename');
  const invalid = await h(image, ['rename', id, 'bad/name']);
  t.not(invalid.exitCode, 0);
  await ok(image, ['rm', '-f', id, other]);
});

test('rm refuses a running container; rm -f removes it and its process', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, []);
  const { State } = await waitForStatus(image, id, 'running');
  const refused = await h(image, ['rm', id]);
  t.not(refused.exitCode, 0);
  t.regex(refused.stderr, /running/);
  t.is((await inspect(image, id)).State.Status, 'running');
  t.is((await h(image, ['rm', '-f', id])).exitCode, 0);
  t.is(await psStatus(image, id), undefined);
  t.false(await alive(State.Pid));
  const missing = await h(image, ['rm', id]);
  t.not(missing.exitCode, 0);
  t.regex(missing.stderr, /no such container|no container with|not found|does not exist/i);
});

test('rm -f of a container that restarts always: it is killed, its monitor ends, nothing comes back', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, ['--restart', 'always']);
  const { State } = await waitForStatus(image, id, 'running');
  const monitor = await monitorPid(image, id);
  t.is((await h(image, ['rm', '-f', id])).exitCode, 0);
  t.false(await alive(State.Pid));
  t.false(await alive(monitor), 'rm -f returns once the monitor has ended, without a restart');
  t.is(await psStatus(image, id), undefined);
});

test.serial('container prune removes every container that is not running', async (t) => {
  const { image } = t.context;
  const running = await runDetached(image, []);
  const exited = await runDetached(image, [], ['true']);
  await waitForStatus(image, exited, 'exited');
  const created = (await ok(image, ['create', image.ref, 'true'])).trim();
  const pruned = await h(image, ['container', 'prune', '-f']);
  t.is(pruned.exitCode, 0, pruned.stderr);
  t.true(pruned.stdout.includes(exited), pruned.stdout);
  const left = (await psRows(image)).map((row) => row.id);
  t.true(left.some((printed) => sameId(printed, running)));
  t.false(left.some((printed) => sameId(printed, exited)));
  // podman prunes every container that is not running, a created one too.
  t.true(pruned.stdout.includes(created));
  t.false(left.some((printed) => sameId(printed, created)));
  await ok(image, ['rm', '-f', running]);
});

test('inspect has podman\'s fields', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, ['--name', 'inspected', '-e', 'FOO=bar', '--label', 'k=v', '-v', '/tmp:/hosttmp:ro', '--restart', 'no'], ['sh', '-c', 'exec sleep 1000']);
  const running = await waitForStatus(image, id, 'running');
  t.is(running.Id, id);
  t.is(running.Name.replace(/^\//, ''), 'inspected');
  t.true(running.State.Running);
  t.true(running.State.Pid > 0 && (await alive(running.State.Pid)));
  t.regex(running.State.StartedAt, /^\d{4}-\d\d-\d\dT/);
  t.deepEqual(running.Config.Cmd, ['sh', '-c', 'exec sleep 1000']);
  t.true(running.Config.Env?.includes('FOO=bar'));
  t.deepEqual(running.Config.Labels, { k: 'v' });
  t.true(running.Mounts.some((m) => m.Destination === '/hosttmp' && m.Source === '/tmp'), JSON.stringify(running.Mounts));
  t.true(['no', ''].includes(running.HostConfig.RestartPolicy?.Name ?? 'absent'), JSON.stringify(running.HostConfig.RestartPolicy));
  await ok(image, ['kill', id]);
  const exited = await waitForStatus(image, id, 'exited');
  t.false(exited.State.Running);
  t.is(exited.State.Pid, 0);
  t.is(exited.State.ExitCode, 137);
  t.true(exited.State.FinishedAt >= exited.State.StartedAt);
  t.is((await inspect(image, 'inspected')).Id, id, 'inspect by name');
  await ok(image, ['rm', id]);
});

test('top lists the processes inside', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'sleep 999 & exec sleep 1000']);
  const top = await eventually('top shows both sleeps', () => h(image, ['top', id]), (r) => r.exitCode === 0 && (r.stdout.match(/sleep (?:999|1000)\b/g) ?? []).length === 2);
  t.regex(top.stdout.split('\n')[0]!, /PID/);
  await ok(image, ['rm', '-f', id]);
  const gone = await h(image, ['top', id]);
  t.not(gone.exitCode, 0);
});

test('create leaves a Created container; start -a runs it attached', async (t) => {
  const { image } = t.context;
  const id = (await ok(image, ['create', '--name', 'made', image.ref, 'sh', '-c', 'echo attached-out; exit 6'])).trim();
  t.regex(id, /^[0-9a-f]{64}$/);
  t.is(await psStatus(image, id), 'Created');
  t.is((await inspect(image, id)).State.Status, 'created');
  const started = await h(image, ['start', '-a', 'made']);
  t.is(started.exitCode, 6, started.stderr);
  t.is(started.stdout, 'attached-out\n');
  t.regex((await psStatus(image, id))!, /^Exited \(6\) /);
  await ok(image, ['rm', id]);
});

test('--rm with -d removes the container after it exits', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, ['--rm'], ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.1; done']);
  t.is((await psStatus(image, id))?.startsWith('Up'), true);
  await ok(image, ['exec', id, 'touch', '/tmp/go']);
  await eventually('--rm removal', () => psStatus(image, id), (s) => s === undefined);
  t.not((await h(image, ['inspect', id])).exitCode, 0);
});

test('--restart on-failure:2 restarts twice, then stays exited', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, ['--restart', 'on-failure:2'], ['sh', '-c', 'echo run; exit 1']);
  await eventually('three runs', () => h(image, ['logs', id]), (r) => r.stdout === 'run\nrun\nrun\n');
  const record = await waitForStatus(image, id, 'exited');
  t.is(record.State.ExitCode, 1);
  t.is(record.RestartCount ?? 2, 2);
  t.is(record.HostConfig.RestartPolicy?.Name, 'on-failure');
  t.is(record.HostConfig.RestartPolicy?.MaximumRetryCount, 2);
  t.is((await h(image, ['logs', id])).stdout, 'run\nrun\nrun\n', 'no fourth run');
  await ok(image, ['rm', id]);
});

test('names: validated, unique, generated adjective_noun; IDs: any unique prefix', async (t) => {
  const { image } = t.context;
  for (const bad of ['-lead', 'has space', 'a/b', '_under', 'x:y']) {
    const result = await h(image, ['create', `--name=${bad}`, image.ref]);
    t.is(result.exitCode, 125, bad);
    t.regex(result.stderr, /name/i, bad);
  }
  const first = (await ok(image, ['create', '--name', 'Uniq.name_1-x', image.ref])).trim();
  const dup = await h(image, ['create', '--name', 'Uniq.name_1-x', image.ref]);
  t.not(dup.exitCode, 0);
  t.regex(dup.stderr, /Uniq\.name_1-x/);
  t.regex(dup.stderr, /in use|already|exists/i);
  const generated = (await ok(image, ['create', image.ref])).trim();
  const name = (await inspect(image, generated)).Name.replace(/^\//, '');
  t.regex(name, /^[a-z]+_[a-z]+$/);
  t.is((await inspect(image, name)).Id, generated);
  t.is((await inspect(image, generated.slice(0, 12))).Id, generated);
  // A prefix shared by two IDs is ambiguous; find the longest shared one among several containers.
  t.timeout(300_000);
  const ids = [first, generated];
  for (let i = 0; i < 14; i++) ids.push((await ok(image, ['create', image.ref])).trim());
  let shared = '';
  for (const a of ids) for (const b of ids) {
    if (a === b) continue;
    let n = 0;
    while (a[n] === b[n]) n++;
    if (n > shared.length) shared = a.slice(0, n);
  }
  t.true(shared.length > 0, 'among 16 random IDs two share a first hex digit');
  const ambiguous = await h(image, ['inspect', shared]);
  t.not(ambiguous.exitCode, 0);
  t.regex(ambiguous.stderr, /ambiguous|more than one|multiple|matches \d+ containers/i);
  await ok(image, ['rm', ...ids]);
  t.deepEqual(await psRows(image).then((rows) => rows.filter((r) => ids.some((id) => sameId(r.id, id)))), []);
});

test('pause without a delegated cgroup v2 freezer gives a clear error and changes nothing', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, []);
  await waitForStatus(image, id, 'running');
  const paused = await h(image, ['pause', id]);
  if (paused.exitCode === 0) {
    t.is((await inspect(image, id)).State.Status, 'paused');
    t.is((await h(image, ['unpause', id])).exitCode, 0);
  } else {
    // run-cgroup.test.ts checks the exact reasons in made-up cgroups; here it is this host's.
    t.is(paused.exitCode, 125);
    t.regex(paused.stderr, /cannot pause \S+: pausing freezes the container's own cgroup \(the cgroup v2 freezer\), and \S+ has none: (this host has no cgroup v2|\S+, the parent of your cgroup \S+, is not delegated to you)/);
    t.regex(paused.stderr, /\nHint: \S/);
  }
  t.is((await inspect(image, id)).State.Status, 'running');
  await ok(image, ['rm', '-f', id]);
});

test('ps filters, -q, --format json and --size', async (t) => {
  const { image } = t.context;
  const up = await runDetached(image, ['--name', 'filter-up', '--label', 'role=up']);
  const down = await runDetached(image, ['--name', 'filter-down'], ['true']);
  await waitForStatus(image, down, 'exited');
  const byName = await ok(image, ['ps', '-a', '-q', '--no-trunc', '--filter', 'name=filter-up']);
  t.is(byName.trim(), up);
  t.is((await ok(image, ['ps', '-a', '-q', '--no-trunc', '--filter', 'status=exited'])).trim().split('\n').includes(down), true);
  t.false((await ok(image, ['ps', '-a', '-q', '--no-trunc', '--filter', 'status=exited'])).includes(up));
  t.is((await ok(image, ['ps', '-a', '-q', '--no-trunc', '--filter', 'label=role=up'])).trim(), up);
  t.is((await ok(image, ['ps', '-a', '-q', '--no-trunc', '--filter', `id=${down.slice(0, 10)}`])).trim(), down);
  const imageId = image.image.configDigest.slice('sha256:'.length);
  t.true((await ok(image, ['ps', '-a', '-q', '--filter', `ancestor=${imageId}`])).includes(up.slice(0, 12)));
  const short = (await ok(image, ['ps', '-a', '-q'])).trim().split('\n');
  t.true(short.every((line) => /^[0-9a-f]{12}$/.test(line)), short.join(','));
  const json = JSON.parse(await ok(image, ['ps', '-a', '--format', 'json'])) as { Id?: string; ID?: string; Names?: string[] | string; State?: string }[];
  t.true(json.some((entry) => (entry.Id ?? entry.ID) === up), JSON.stringify(json).slice(0, 400));
  const table = await ok(image, ['ps', '-a', '--size']);
  t.regex(table.split('\n')[0]!, /CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES\s+SIZE/);
  await ok(image, ['rm', '-f', up, down]);
});

test('attach relays output until the container exits; start -i feeds stdin', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'while [ ! -e /tmp/go ]; do echo waiting; sleep 0.2; done; echo after-attach; echo err-after >&2; exit 4']);
  const { subprocess } = await spawnHutch(['attach', '--no-stdin', id], { store: image.store, timeout: 120_000 });
  // A "waiting" line through attach proves it is connected; only then is the container told to finish.
  await new Promise<void>((resolve, reject) => {
    subprocess.stdout!.once('data', () => resolve());
    subprocess.stdout!.once('end', () => reject(new Error('attach ended before any output')));
  });
  await ok(image, ['exec', id, 'touch', '/tmp/go']);
  const result = await subprocess;
  // podman's attach ends with 0 or the container's status depending on the version; both end with the container.
  t.true([0, 4].includes(result.exitCode ?? -1), String(result.stderr));
  t.regex(String(result.stdout), /^(waiting\n)+after-attach\n$/);
  t.regex(String(result.stderr), /err-after/);
  await ok(image, ['rm', id]);

  const fed = (await ok(image, ['create', '-i', image.ref, 'sh', '-c', 'read line; echo "got $line"'])).trim();
  const started = await h(image, ['start', '-a', '-i', fed], { input: 'hello\n' });
  t.is(started.exitCode, 0, started.stderr);
  t.is(started.stdout, 'got hello\n');
  await ok(image, ['rm', fed]);
});

test('stats reads what it can rootless; port prints nothing without published ports', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, ['--name', 'stats-box']);
  await waitForStatus(image, id, 'running');
  const stats = await h(image, ['stats', '--no-stream', id]);
  t.is(stats.exitCode, 0, stats.stderr);
  t.regex(stats.stdout, /stats-box|[0-9a-f]{12}/);
  t.regex(stats.stdout.split('\n')[0]!, /CPU|MEM|PIDS/i);
  const port = await h(image, ['port', id]);
  t.is(port.exitCode, 0, port.stderr);
  t.is(port.stdout.trim(), '');
  await ok(image, ['rm', '-f', '-v', id]);
});
