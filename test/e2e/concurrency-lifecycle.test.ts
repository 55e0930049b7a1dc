// Commands racing each other on one store: 20 parallel `run -d`, two `rm -f`
// of the same container, `ps` while containers are being created. Every
// command either succeeds or fails cleanly, and the store stays consistent.
import anyTest, { type TestFn } from 'ava';
import type { RunImage } from '../helpers/run-image.js';
import { alive, h, inspect, ok, prepareLifecycleImage, psRows, runDetached, sameId, waitForStatus } from '../helpers/lifecycle-cli.js';

const test = anyTest as TestFn<{ image: RunImage }>;

test.before(async (t) => {
  t.context.image = await prepareLifecycleImage();
});

test.after.always(async (t) => {
  if (t.context.image === undefined) return;
  await h(t.context.image, ['rm', '-f', '-a']).catch(() => undefined);
  await t.context.image.remove();
});

test('20 parallel run -d all start, with distinct IDs and names', async (t) => {
  t.timeout(600_000);
  const { image } = t.context;
  const results = await Promise.all(Array.from({ length: 20 }, () => h(image, ['run', '-d', image.ref], { timeout: 300_000 })));
  for (const result of results) t.is(result.exitCode, 0, result.stderr);
  const ids = results.map((result) => result.stdout.trim());
  t.is(new Set(ids).size, 20);
  const rows = await psRows(image, []);
  for (const id of ids) t.true(rows.some((row) => sameId(row.id, id) && row.status.startsWith('Up')), id);
  t.is(new Set(rows.filter((row) => ids.some((id) => sameId(row.id, id))).map((row) => row.name)).size, 20);
  const removed = await Promise.all(ids.map((id) => h(image, ['rm', '-f', id], { timeout: 300_000 })));
  for (const result of removed) t.is(result.exitCode, 0, result.stderr);
  t.deepEqual((await psRows(image)).filter((row) => ids.some((id) => sameId(row.id, id))), []);
});

test('two concurrent rm -f of one container: it is removed once, the other succeeds or says it is gone', async (t) => {
  const { image } = t.context;
  t.timeout(300_000);
  for (let round = 0; round < 5; round++) {
    const id = await runDetached(image, []);
    const { State } = await waitForStatus(image, id, 'running');
    const [a, b] = await Promise.all([h(image, ['rm', '-f', id]), h(image, ['rm', '-f', id])]);
    t.true(a.exitCode === 0 || b.exitCode === 0, `${a.stderr} | ${b.stderr}`);
    for (const result of [a, b]) {
      if (result.exitCode !== 0) {
        t.is(result.exitCode, 1, result.stderr);
        t.regex(result.stderr, /no such container|no container with|not found|does not exist/i);
      }
    }
    t.false(await alive(State.Pid));
    t.false((await psRows(image)).some((row) => sameId(row.id, id)));
    t.not((await h(image, ['inspect', id])).exitCode, 0);
  }
});

test('ps during run -d never fails and never shows a half-made container', async (t) => {
  t.timeout(300_000);
  const { image } = t.context;
  const runs = Promise.all(Array.from({ length: 6 }, () => h(image, ['run', '-d', image.ref], { timeout: 300_000 })));
  let settled = false;
  void runs.finally(() => { settled = true; });
  let polls = 0;
  while (!settled || polls < 3) {
    const ps = await h(image, ['ps', '-a', '--format', '{{.ID}}\t{{.Status}}']);
    t.is(ps.exitCode, 0, ps.stderr);
    for (const line of ps.stdout.split('\n').filter((l) => l !== '')) {
      const [id = '', status = ''] = line.split('\t');
      t.regex(id, /^[0-9a-f]{12}$/, line);
      t.regex(status, /^(Created|Up |Exited \(\d+\) |Initialized|Stopping|Starting)/, line);
    }
    polls++;
  }
  const results = await runs;
  for (const result of results) t.is(result.exitCode, 0, result.stderr);
  const rows = await psRows(image, []);
  for (const result of results) t.true(rows.some((row) => sameId(row.id, result.stdout.trim())));
  await ok(image, ['rm', '-f', ...results.map((r) => r.stdout.trim())]);
});

test('concurrent stop, kill and inspect of one container leave it exited with one recorded exit', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, []);
  await waitForStatus(image, id, 'running');
  const results = await Promise.all([h(image, ['stop', '-t', '1', id]), h(image, ['kill', id]), h(image, ['inspect', id]), h(image, ['stop', '-t', '1', id])]);
  t.is(results[2]!.exitCode, 0);
  for (const result of results) t.true(result.exitCode === 0 || /not running|exited|stopped/i.test(result.stderr), result.stderr);
  const record = await waitForStatus(image, id, 'exited');
  t.is(record.State.ExitCode, 137);
  t.is((await inspect(image, id)).State.Running, false);
  await ok(image, ['rm', id]);
});
