// `hutch runtime` (runc's command line) on a busybox bundle: the lifecycle
// create → start → kill → delete with the state JSON of each step, create not
// running the user's process, config.json read once at create, illegal
// transitions refused without changing anything, list, run, exec and spec.
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { makeOciBundle, ociRuntime, ociRuntimeToFiles, ociState, processAlive, waitForStatus, writeConfig, type OciBundle } from '../helpers/lifecycle-oci.js';

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** A bundle whose process writes /out/ran and then sleeps until killed. */
function markerBundle(): Promise<OciBundle> {
  return makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'echo ran > /out/ran; exec sleep 1000'];
    config.annotations = { 'org.example.test': 'lifecycle' };
  });
}

async function create(bundle: OciBundle, id: string, extra: string[] = []): Promise<void> {
  const result = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, ...extra, id], `create-${id}`);
  if (result.exitCode !== 0) throw new Error(`create ${id} exited ${result.exitCode}: ${result.stderr}`);
}

test('create does not run the process; start runs it; kill stops it; delete removes it', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  const pidFile = join(bundle.out, 'pid');
  await create(bundle, 'c1', ['--pid-file', pidFile]);

  const created = await ociState(bundle, 'c1');
  t.is(created.status, 'created');
  t.is(created.id, 'c1');
  t.is(created.bundle, bundle.dir);
  t.regex(created.ociVersion, /^1\.\d+\.\d+/);
  t.deepEqual(created.annotations, { 'org.example.test': 'lifecycle' });
  t.true(Number.isInteger(created.pid) && created.pid! > 0);
  t.is(Number((await readFile(pidFile, 'utf8')).trim()), created.pid ?? -1);
  t.true(await processAlive(created.pid!));
  t.false(await exists(join(bundle.out, 'ran')), 'create ran the user process');

  const started = await ociRuntime(bundle.root, ['start', 'c1']);
  t.is(started.exitCode, 0, started.stderr);
  const running = await ociState(bundle, 'c1');
  t.is(running.status, 'running');
  t.is(running.pid, created.pid, 'the init is the user process');
  for (let i = 0; i < 200 && !(await exists(join(bundle.out, 'ran'))); i++) await new Promise((r) => setTimeout(r, 50));
  t.is(await readFile(join(bundle.out, 'ran'), 'utf8'), 'ran\n');

  const killed = await ociRuntime(bundle.root, ['kill', 'c1', 'KILL']);
  t.is(killed.exitCode, 0, killed.stderr);
  const stopped = await waitForStatus(bundle, 'c1', 'stopped');
  t.is(stopped.pid, undefined, 'no pid once stopped');
  t.is(stopped.id, 'c1');

  const deleted = await ociRuntime(bundle.root, ['delete', 'c1']);
  t.is(deleted.exitCode, 0, deleted.stderr);
  const gone = await ociRuntime(bundle.root, ['state', 'c1']);
  t.not(gone.exitCode, 0);
  t.regex(gone.stderr, /c1.*does not exist|does not exist.*c1/);
  t.false(await exists(join(bundle.root, 'c1')));
});

test('illegal transitions fail and leave the state unchanged', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  await create(bundle, 'c2');

  const deleteCreated = await ociRuntime(bundle.root, ['delete', 'c2']);
  t.not(deleteCreated.exitCode, 0);
  t.regex(deleteCreated.stderr, /c2.*created/);
  t.is((await ociState(bundle, 'c2')).status, 'created');

  t.is((await ociRuntime(bundle.root, ['start', 'c2'])).exitCode, 0);
  const before = await ociState(bundle, 'c2');
  const startTwice = await ociRuntime(bundle.root, ['start', 'c2']);
  t.not(startTwice.exitCode, 0);
  t.regex(startTwice.stderr, /c2.*running/);
  t.deepEqual(await ociState(bundle, 'c2'), before);

  const deleteRunning = await ociRuntime(bundle.root, ['delete', 'c2']);
  t.not(deleteRunning.exitCode, 0);
  t.regex(deleteRunning.stderr, /c2.*running/);
  t.deepEqual(await ociState(bundle, 'c2'), before);
  t.true(await processAlive(before.pid!));

  t.is((await ociRuntime(bundle.root, ['kill', 'c2', 'SIGKILL'])).exitCode, 0);
  const stopped = await waitForStatus(bundle, 'c2', 'stopped');
  const killStopped = await ociRuntime(bundle.root, ['kill', 'c2', 'KILL']);
  t.not(killStopped.exitCode, 0);
  t.regex(killStopped.stderr, /c2.*stopped/);
  const startStopped = await ociRuntime(bundle.root, ['start', 'c2']);
  t.not(startStopped.exitCode, 0);
  t.deepEqual(await ociState(bundle, 'c2'), stopped);

  const duplicate = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, 'c2'], 'create-dup');
  t.not(duplicate.exitCode, 0);
  t.regex(duplicate.stderr, /c2/);
  t.deepEqual(await ociState(bundle, 'c2'), stopped);

  t.is((await ociRuntime(bundle.root, ['delete', 'c2'])).exitCode, 0);
  const deleteAgain = await ociRuntime(bundle.root, ['delete', 'c2']);
  t.not(deleteAgain.exitCode, 0);
  t.regex(deleteAgain.stderr, /c2/);
});

test('delete --force kills a running container', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  await create(bundle, 'c3');
  t.is((await ociRuntime(bundle.root, ['start', 'c3'])).exitCode, 0);
  const { pid } = await ociState(bundle, 'c3');
  const forced = await ociRuntime(bundle.root, ['delete', '--force', 'c3']);
  t.is(forced.exitCode, 0, forced.stderr);
  t.false(await processAlive(pid!));
  t.not((await ociRuntime(bundle.root, ['state', 'c3'])).exitCode, 0);
});

test('editing config.json after create changes nothing', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  await create(bundle, 'c4');
  const config = JSON.parse(await readFile(join(bundle.dir, 'config.json'), 'utf8')) as Record<string, any>;
  config.process.args = ['sh', '-c', 'echo edited > /out/edited; exec sleep 1000'];
  config.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `echo hook > ${bundle.out}/edited-hook`] }] };
  await writeConfig(bundle, config);
  t.is((await ociRuntime(bundle.root, ['start', 'c4'])).exitCode, 0);
  for (let i = 0; i < 200 && !(await exists(join(bundle.out, 'ran'))); i++) await new Promise((r) => setTimeout(r, 50));
  t.true(await exists(join(bundle.out, 'ran')));
  t.false(await exists(join(bundle.out, 'edited')));
  t.false(await exists(join(bundle.out, 'edited-hook')));
  await ociRuntime(bundle.root, ['delete', '--force', 'c4']);
});

test('kill sends the named signal; the default is TERM', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'trap "echo usr1 >> /out/signals" USR1; trap "echo term >> /out/signals; exit 3" TERM; echo ready > /out/ready; while true; do sleep 0.1; done'];
  });
  t.teardown(() => bundle.remove());
  await create(bundle, 'c5');
  t.is((await ociRuntime(bundle.root, ['start', 'c5'])).exitCode, 0);
  for (let i = 0; i < 200 && !(await exists(join(bundle.out, 'ready'))); i++) await new Promise((r) => setTimeout(r, 50));
  t.is((await ociRuntime(bundle.root, ['kill', 'c5', 'USR1'])).exitCode, 0);
  for (let i = 0; i < 200 && !(await readFile(join(bundle.out, 'signals'), 'utf8').catch(() => '')).includes('usr1'); i++) await new Promise((r) => setTimeout(r, 50));
  t.is((await ociState(bundle, 'c5')).status, 'running', 'USR1 does not stop it');
  t.is((await ociRuntime(bundle.root, ['kill', 'c5'])).exitCode, 0);
  await waitForStatus(bundle, 'c5', 'stopped');
  t.is(await readFile(join(bundle.out, 'signals'), 'utf8'), 'usr1\nterm\n');
  t.is((await ociRuntime(bundle.root, ['delete', 'c5'])).exitCode, 0);
});

test('list shows containers with their status; --format json and --quiet', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  await create(bundle, 'la');
  await create(bundle, 'lb');
  t.is((await ociRuntime(bundle.root, ['start', 'lb'])).exitCode, 0);
  const json = await ociRuntime(bundle.root, ['list', '--format', 'json']);
  t.is(json.exitCode, 0, json.stderr);
  const entries = JSON.parse(json.stdout) as { id: string; status: string }[];
  t.deepEqual(entries.map((e) => [e.id, e.status]).sort(), [['la', 'created'], ['lb', 'running']]);
  const quiet = await ociRuntime(bundle.root, ['list', '--quiet']);
  t.deepEqual(quiet.stdout.trim().split('\n').sort(), ['la', 'lb']);
  const table = await ociRuntime(bundle.root, ['list']);
  t.regex(table.stdout, /^la\s+\d+\s+created\s/m);
  t.regex(table.stdout, /^lb\s+\d+\s+running\s/m);
  for (const id of ['la', 'lb']) t.is((await ociRuntime(bundle.root, ['delete', '--force', id])).exitCode, 0);
  t.is((await ociRuntime(bundle.root, ['list', '--quiet'])).stdout.trim(), '');
});

test('run executes in the foreground with the container\'s exit status and leaves nothing', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'echo out; echo err >&2; exit 7'];
  });
  t.teardown(() => bundle.remove());
  const result = await ociRuntimeToFiles(bundle, ['run', '--bundle', bundle.dir, 'r1'], 'run-r1');
  t.is(result.exitCode, 7, result.stderr);
  t.is(result.stdout, 'out\n');
  t.is(result.stderr, 'err\n');
  t.not((await ociRuntime(bundle.root, ['state', 'r1'])).exitCode, 0);
});

test('exec runs in a running container with its exit status; refused when not running', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  await create(bundle, 'e1');
  const early = await ociRuntime(bundle.root, ['exec', 'e1', '--', 'true']);
  t.not(early.exitCode, 0);
  t.regex(early.stderr, /e1.*created|must be running/);
  t.is((await ociRuntime(bundle.root, ['start', 'e1'])).exitCode, 0);
  const hostname = await ociRuntime(bundle.root, ['exec', 'e1', '--', 'hostname']);
  t.is(hostname.exitCode, 0, hostname.stderr);
  t.is(hostname.stdout.trim(), 'hutch');
  t.is((await ociRuntime(bundle.root, ['exec', 'e1', '--', 'sh', '-c', 'exit 4'])).exitCode, 4);
  const env = await ociRuntime(bundle.root, ['exec', '--env', 'X=y', '--cwd', '/out', 'e1', '--', 'sh', '-c', 'echo $X $(pwd)']);
  t.is(env.stdout.trim(), 'y /out');
  const pid1 = await ociRuntime(bundle.root, ['exec', 'e1', '--', 'cat', '/proc/1/cmdline']);
  t.regex(pid1.stdout, /sleep/, 'exec sees the container\'s pid namespace');
  t.is((await ociRuntime(bundle.root, ['kill', 'e1', 'KILL'])).exitCode, 0);
  await waitForStatus(bundle, 'e1', 'stopped');
  const late = await ociRuntime(bundle.root, ['exec', 'e1', '--', 'true']);
  t.not(late.exitCode, 0);
  t.regex(late.stderr, /e1.*stopped/);
  t.is((await ociRuntime(bundle.root, ['delete', 'e1'])).exitCode, 0);
});

test('spec refuses to overwrite config.json; a bad config.json names the field and leaves no container', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  const again = await ociRuntime(bundle.root, ['spec', '--rootless', '--bundle', bundle.dir]);
  t.not(again.exitCode, 0);
  t.regex(again.stderr, /config\.json/);
  const config = JSON.parse(await readFile(join(bundle.dir, 'config.json'), 'utf8')) as Record<string, any>;
  config.process.args = [];
  await writeConfig(bundle, config);
  const bad = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, 'bad'], 'create-bad');
  t.is(bad.exitCode, 125);
  t.regex(bad.stderr, /process\.args/);
  t.not((await ociRuntime(bundle.root, ['state', 'bad'])).exitCode, 0);
  t.false(await exists(join(bundle.root, 'bad')));
  config.process.args = ['/bin/true'];
  config.annotations = { 'run.hutch.seccomp.cache': 'relative/cache' };
  await writeConfig(bundle, config);
  const badCache = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, 'bad-cache'], 'create-bad-cache');
  t.is(badCache.exitCode, 125);
  t.regex(badCache.stderr, /run\.hutch\.seccomp\.cache must be an absolute path/);
  t.false(await exists(join(bundle.root, 'bad-cache')));
});

test('ids outside [a-zA-Z0-9][a-zA-Z0-9_.-]* are refused', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  for (const id of ['../escape', '-x', 'a/b', '.hidden']) {
    const result = await ociRuntimeToFiles(bundle, ['create', '--bundle', bundle.dir, id], 'create-badid');
    t.not(result.exitCode, 0, id);
  }
  t.is((await ociRuntime(bundle.root, ['list', '--quiet'])).stdout.trim(), '');
});

test('state is derived: a container killed behind the runtime\'s back is stopped, and delete works', async (t) => {
  const bundle = await markerBundle();
  t.teardown(() => bundle.remove());
  await create(bundle, 'k9');
  t.is((await ociRuntime(bundle.root, ['start', 'k9'])).exitCode, 0);
  const { pid } = await ociState(bundle, 'k9');
  process.kill(pid!, 'SIGKILL');
  const stopped = await waitForStatus(bundle, 'k9', 'stopped');
  t.is(stopped.pid, undefined);
  const killStopped = await ociRuntime(bundle.root, ['kill', 'k9', 'KILL']);
  t.not(killStopped.exitCode, 0, 'kill never reaches a pid that is no longer the container');
  t.is((await ociRuntime(bundle.root, ['delete', 'k9'])).exitCode, 0);
});

test('delete takes the state directory away at once: a reader sees it whole or not at all, never half-removed', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['true'];
  });
  t.teardown(() => bundle.remove());
  await create(bundle, 'w1');
  t.is((await ociRuntime(bundle.root, ['start', 'w1'])).exitCode, 0);
  await waitForStatus(bundle, 'w1', 'stopped');
  const dir = join(bundle.root, 'w1');
  const whole = (await readdir(dir)).sort().join(' ');
  // strace holds every unlink for 100 ms: a directory emptied in place would be seen half-empty.
  const strace = ['strace', '-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', 'trace=unlink,unlinkat', '-e', 'inject=unlink,unlinkat:delay_exit=100000'];
  let finished = false;
  const deleting = ociRuntime(bundle.root, ['delete', 'w1'], { under: strace }).finally(() => (finished = true));
  const seen = new Set<string>();
  while (!finished) {
    const listing = await readdir(dir).catch(() => null);
    seen.add(listing === null ? '(gone)' : listing.sort().join(' '));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const deleted = await deleting;
  t.is(deleted.exitCode, 0, deleted.stderr);
  t.deepEqual([...seen].filter((listing) => listing !== whole && listing !== '(gone)'), []);
  t.deepEqual(await readdir(bundle.root), [], 'nothing is left in the state root');
});
