// Crashes around detached containers: kill -9 of the monitor (ps must not
// claim "Up" from a stale pid), of the container's process (the exit is
// recorded), and of a CLI in the middle of create (the store stays usable).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { spawnHutch } from '../helpers/installed-cli.js';
import type { RunImage } from '../helpers/run-image.js';
import { alive, eventually, h, inspect, monitorPid, ok, prepareLifecycleImage, psRows, psStatus, runDetached, waitForStatus } from '../helpers/lifecycle-cli.js';

const test = anyTest as TestFn<{ image: RunImage }>;

test.before(async (t) => {
  t.context.image = await prepareLifecycleImage();
});

test.after.always(async (t) => {
  if (t.context.image === undefined) return;
  await h(t.context.image, ['rm', '-f', '-a']).catch(() => undefined);
  await t.context.image.remove();
});

test('the monitor survives the CLI and runs in its own session', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, []);
  const monitor = await monitorPid(image, id);
  t.true(await alive(monitor));
  const session = async (pid: number | 'self'): Promise<number> => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  };
  t.not(await session(monitor), await session('self'), 'the monitor has its own session (terminal hang-ups do not reach it)');
  await ok(image, ['rm', '-f', id]);
  t.false(await alive(monitor));
});

test('kill -9 of the monitor: the container still shows Up while it runs, and not after it is gone', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, []);
  const { State } = await waitForStatus(image, id, 'running');
  const monitor = await monitorPid(image, id);
  process.kill(monitor, 'SIGKILL');
  await eventually('monitor gone', () => alive(monitor), (up) => !up);
  t.true(await alive(State.Pid), 'the container outlives its monitor');
  t.regex((await psStatus(image, id))!, /^Up /);
  process.kill(State.Pid, 'SIGKILL');
  await eventually('container gone', () => alive(State.Pid), (up) => !up);
  const status = await eventually('ps not Up', () => psStatus(image, id), (s) => s !== undefined && !s.startsWith('Up'));
  // Without the monitor the exit status is unknown: "Exited (N) ..." or "Stopped", never "Up".
  t.regex(status!, /^(Exited|Stopped)/);
  const record = await inspect(image, id);
  t.false(record.State.Running);
  t.not(record.State.Status, 'running');
  const removed = await h(image, ['rm', id]);
  t.is(removed.exitCode, 0, removed.stderr);
  t.is(await psStatus(image, id), undefined);
});

test('kill -9 of the container process: the exit is recorded (137)', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, []);
  const { State } = await waitForStatus(image, id, 'running');
  process.kill(State.Pid, 'SIGKILL');
  const record = await waitForStatus(image, id, 'exited');
  t.is(record.State.ExitCode, 137);
  t.regex(record.State.FinishedAt, /^\d{4}-/);
  t.regex((await psStatus(image, id))!, /^Exited \(137\) /);
  t.is((await ok(image, ['wait', id])).trim(), '137');
  await ok(image, ['rm', id]);
});

test('kill -9 of a CLI mid-create leaves a usable store: ps and rm work, nothing half-made is listed as running', async (t) => {
  const { image } = t.context;
  t.timeout(300_000);
  const before = new Set((await psRows(image)).map((row) => row.id));
  // Kill at several points: right away, and after progressively longer delays, to land inside create.
  for (const delay of [0, 50, 150, 300, 600]) {
    const { subprocess } = await spawnHutch(['run', '-d', image.ref], { store: image.store, timeout: 120_000 });
    await new Promise((resolve) => setTimeout(resolve, delay));
    subprocess.kill('SIGKILL');
    await subprocess;
  }
  const leftovers = (await psRows(image)).filter((row) => !before.has(row.id));
  for (const { id, status } of leftovers) {
    t.regex(id, /^[0-9a-f]{12}$/);
    t.regex(status, /^(Created|Up |Exited)/);
    const removed = await h(image, ['rm', '-f', id]);
    t.is(removed.exitCode, 0, removed.stderr);
  }
  t.deepEqual((await psRows(image)).filter((row) => !before.has(row.id)), []);
  // Nothing is left under the store's containers/ for a container ps does not know.
  const dirs = (await readdir(join(image.store.root, 'containers')).catch(() => [] as string[])).filter((name) => /^[0-9a-f]{64}$/.test(name) && !before.has(name.slice(0, 12)));
  t.deepEqual(dirs, []);
  // And the store still works.
  const id = await runDetached(image, []);
  await waitForStatus(image, id, 'running');
  await ok(image, ['rm', '-f', id]);
});
