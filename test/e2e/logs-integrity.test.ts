// `hutch logs`: what the container wrote comes back byte-identical per stream
// (50 MB with partial lines, long lines and interleaved stderr), -f follows
// until the container exits, --tail, --since, -t, and --log-opt max-size.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import anyTest, { type TestFn } from 'ava';
import { spawnHutch } from '../helpers/installed-cli.js';
import type { RunImage } from '../helpers/run-image.js';
import { eventually, h, inspect, ok, prepareLifecycleImage, runDetached, waitForStatus } from '../helpers/lifecycle-cli.js';

const test = anyTest as TestFn<{ image: RunImage }>;

test.before(async (t) => {
  t.context.image = await prepareLifecycleImage();
});

test.after.always(async (t) => {
  await t.context.image?.remove();
});

const ITERATIONS = 6_600_000;
const LONG_EVERY = 400_000;
const LONG = 40_000;
const ERR_EVERY = 997;

// The container's writer (busybox awk): numbers, every 7th without a newline (partial lines), a 40 000-byte
// line now and then (longer than one pipe read), a stderr line every 997 items, and a final partial line.
const WRITER = `awk 'BEGIN {
  long = ""; for (k = 0; k < ${LONG}; k++) long = long "x";
  for (i = 0; i < ${ITERATIONS}; i++) {
    if (i % 7 == 0) printf "%d-", i; else printf "%d\\n", i;
    if (i % ${LONG_EVERY} == 0) printf "%s\\n", long;
    if (i % ${ERR_EVERY} == 0) { printf "err %d\\n", i > "/dev/stderr"; fflush("/dev/stderr") }
  }
  printf "tail-without-newline";
}'`;

/** What WRITER writes to stdout and stderr, computed independently. */
function expectedStreams(): { stdout: Buffer; stderr: Buffer } {
  const out: string[] = [];
  const err: string[] = [];
  const long = 'x'.repeat(LONG);
  for (let i = 0; i < ITERATIONS; i++) {
    out.push(i % 7 === 0 ? `${i}-` : `${i}\n`);
    if (i % LONG_EVERY === 0) out.push(`${long}\n`);
    if (i % ERR_EVERY === 0) err.push(`err ${i}\n`);
  }
  out.push('tail-without-newline');
  return { stdout: Buffer.from(out.join('')), stderr: Buffer.from(err.join('')) };
}

const digest = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

test('50 MB with partial lines and interleaved stderr: each stream byte-identical', async (t) => {
  t.timeout(900_000);
  const { image } = t.context;
  const expected = expectedStreams();
  t.true(expected.stdout.length >= 50_000_000, String(expected.stdout.length));
  const id = await runDetached(image, [], ['sh', '-c', WRITER]);
  const waited = await h(image, ['wait', id], { timeout: 600_000 });
  t.is(waited.stdout.trim(), '0', waited.stderr);
  const logs = await h(image, ['logs', id], { timeout: 300_000 });
  t.is(logs.exitCode, 0, logs.stderr.slice(0, 2000));
  t.is(logs.stderr.length, expected.stderr.length, 'stderr length');
  t.is(digest(logs.stderr), digest(expected.stderr), 'stderr content');
  t.is(logs.stdout.length, expected.stdout.length, 'stdout length');
  t.is(digest(logs.stdout), digest(expected.stdout), 'stdout content');
  await ok(image, ['rm', id]);
});

test('logs -f follows until the container exits', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo two; echo three >&2']);
  const { subprocess } = await spawnHutch(['logs', '-f', id], { store: image.store, timeout: 120_000 });
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    subprocess.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('one\n')) resolve();
    });
    subprocess.stdout!.on('end', () => reject(new Error(`logs -f ended before "one": ${seen}`)));
  });
  await ok(image, ['exec', id, 'touch', '/tmp/go']);
  const result = await subprocess;
  t.is(result.exitCode, 0, String(result.stderr));
  t.is(String(result.stdout), 'one\ntwo\n');
  t.is(String(result.stderr), 'three\n');
  await ok(image, ['rm', id]);
});

test('--tail N, -t and --since', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'echo early1; echo early2; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo late1; echo late2']);
  await eventually('early lines', () => h(image, ['logs', id]), (r) => r.stdout === 'early1\nearly2\n');
  await ok(image, ['exec', id, 'touch', '/tmp/go']);
  t.is((await ok(image, ['wait', id])).trim(), '0');

  t.is(await ok(image, ['logs', '--tail', '2', id]), 'late1\nlate2\n');
  t.is(await ok(image, ['logs', '--tail', '0', id]), '');
  t.is(await ok(image, ['logs', '--tail', '100', id]), 'early1\nearly2\nlate1\nlate2\n');

  const stamped = (await ok(image, ['logs', '-t', id])).trimEnd().split('\n');
  t.is(stamped.length, 4);
  const stamps = stamped.map((line) => {
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (.*)$/.exec(line);
    t.truthy(match, line);
    return { time: match![1]!, text: match![2]! };
  });
  t.deepEqual(stamps.map((s) => s.text), ['early1', 'early2', 'late1', 'late2']);
  // late1 was written after /tmp/go appeared, which was after early2 was already in the log: a time between
  // the two splits the log (the exec in between takes far longer than a millisecond).
  const early2 = Date.parse(stamps[1]!.time);
  const late1 = Date.parse(stamps[2]!.time);
  t.true(late1 - early2 >= 2, `${stamps[1]!.time} .. ${stamps[2]!.time}`);
  const between = new Date(Math.floor((early2 + late1) / 2)).toISOString();
  t.is(await ok(image, ['logs', '--since', between, id]), 'late1\nlate2\n');
  const sinceFuture = await ok(image, ['logs', '--since', new Date(Date.now() + 3600_000).toISOString(), id]);
  t.is(sinceFuture, '');
  await ok(image, ['rm', id]);
});

test('--log-opt max-size caps the log: the newest output survives, the file stays bounded', async (t) => {
  const { image } = t.context;
  const maxSize = 64 * 1024;
  const id = await runDetached(image, ['--log-opt', `max-size=${maxSize}`], ['sh', '-c', 'seq 1 100000']);
  t.is((await ok(image, ['wait', id])).trim(), '0');
  const logs = await ok(image, ['logs', id]);
  const lines = logs.trimEnd().split('\n');
  t.is(lines.at(-1), '100000');
  t.true(lines.length < 100_000, `all ${lines.length} lines kept despite max-size`);
  // What is kept is a contiguous run of the newest lines: no gap, nothing reordered.
  const first = Number(lines[0]);
  t.deepEqual(lines.map(Number), Array.from({ length: lines.length }, (_, k) => first + k));
  const record = await inspect(image, id);
  const path = record.LogPath ?? record.HostConfig.LogConfig?.Path;
  t.truthy(path, 'inspect names the log file (LogPath)');
  const size = (await stat(path!)).size;
  t.true(size <= maxSize, `log file is ${size} bytes, cap ${maxSize}`);
  await ok(image, ['rm', id]);
});

test('logs of an unknown container is a clear error', async (t) => {
  const result = await h(t.context.image, ['logs', 'no-such-container']);
  t.is(result.exitCode, 125);
  t.regex(result.stderr, /no-such-container/);
});

test('logs of a created container that never ran is empty', async (t) => {
  const { image } = t.context;
  const id = (await ok(image, ['create', image.ref, 'echo', 'x'])).trim();
  t.is(await ok(image, ['logs', id]), '');
  await ok(image, ['start', id]);
  await waitForStatus(image, id, 'exited');
  t.is(await ok(image, ['logs', id]), 'x\n');
  await ok(image, ['rm', id]);
});
