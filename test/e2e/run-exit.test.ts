// `hutch run` exit codes and signals: the container's own status, 128+N for
// signals, 125/126/127 for hutch's and the runtime's failures, forwarding of
// SIGTERM/SIGINT, and --rm removing the container also after a kill.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { hutch, spawnHutch } from '../helpers/installed-cli.js';
import { prepareRunImage, runIn, type RunImage } from '../helpers/run-image.js';

const test = anyTest as TestFn<{ image: RunImage }>;

test.before(async (t) => {
  t.context.image = await prepareRunImage();
});

test.after.always(async (t) => {
  await t.context.image?.remove();
});

/** The running subprocess's stdout, resolved once a line matching `pattern` has been printed. */
function waitForLine(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    stream.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const line = seen.split('\n').find((l) => pattern.test(l));
      if (line !== undefined) resolve(line);
    });
    stream.on('end', () => reject(new Error(`output ended without ${pattern}: ${seen}`)));
  });
}

async function containerIds(image: RunImage): Promise<string[]> {
  return (await readdir(join(image.store.root, 'containers')).catch(() => [])).filter((name) => /^[0-9a-f]{64}$/.test(name));
}

test('the exit status is the container\'s own', async (t) => {
  t.is((await runIn(t.context.image, [], ['/bin/reporter', 'exit', '3'])).exitCode, 3);
  t.is((await runIn(t.context.image, [], ['sh', '-c', 'exit 42'])).exitCode, 42);
  t.is((await runIn(t.context.image, [], ['true'])).exitCode, 0);
});

test('the container process starts with no signal ignored or blocked, also with -i and with exec', async (t) => {
  // hutch itself ignores SIGPIPE (Node does), and the spawn that starts the runtime leaves glibc's internal signals ignored.
  // grep itself, not through sh: busybox sh ignores SIGQUIT before it execs a lone command.
  const status = ['grep', '-E', '^Sig(Ign|Blk)', '/proc/self/status'];
  const clean = 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n';
  for (const flags of [[], ['-i']]) {
    const result = await runIn(t.context.image, flags, status);
    t.is(result.stdout, clean, result.stderr);
  }
  const name = `signals-${process.pid}`;
  t.is((await hutch(['run', '-d', '--name', name, t.context.image.ref, 'sleep', '60'], { store: t.context.image.store })).exitCode, 0);
  try {
    const exec = await hutch(['exec', name, ...status], { store: t.context.image.store });
    t.is(exec.stdout, clean, String(exec.stderr));
  } finally {
    await hutch(['rm', '-f', name], { store: t.context.image.store });
  }
});

test('a command killed by SIGTERM gives 143', async (t) => {
  const result = await runIn(t.context.image, ['--init'], ['/bin/reporter', 'kill-self', 'TERM']);
  t.is(result.exitCode, 143, result.stderr);
});

test.serial('pid 1 killed from the host gives 128+9 and --rm still removes the container', async (t) => {
  const { image } = t.context;
  const before = await containerIds(image);
  const { subprocess } = await spawnHutch(['run', '--rm', image.ref, '/bin/reporter', 'sleep', '120'], { store: image.store, timeout: 60_000 });
  await waitForLine(subprocess.stdout!, /"sleeping"/);
  const states = await readdir(image.store.runroot, { recursive: true });
  const stateFile = states.map(String).find((p) => p.endsWith('state.json'));
  t.truthy(stateFile, `no state.json under ${image.store.runroot}: ${states.join(' ')}`);
  const state = JSON.parse(await readFile(join(image.store.runroot, stateFile!), 'utf8')) as { pid: number; status: string };
  t.is(state.status, 'running');
  process.kill(state.pid, 'SIGKILL');
  const result = await subprocess;
  t.is(result.exitCode, 137, String(result.stderr));
  t.deepEqual(await containerIds(image), before);
});

test('a command that does not exist gives 127', async (t) => {
  const result = await runIn(t.context.image, [], ['/bin/no-such-command']);
  t.is(result.exitCode, 127);
  t.regex(result.stderr, /no-such-command/);
  const viaPath = await runIn(t.context.image, [], ['no-such-command']);
  t.is(viaPath.exitCode, 127);
});

test('a flag run does not have gives 125 naming the flag, and creates nothing', async (t) => {
  const { image } = t.context;
  const before = await containerIds(image);
  const result = await runIn(image, ['--no-such-flag'], ['true']);
  t.is(result.exitCode, 125);
  t.regex(result.stderr, /unknown flag: --no-such-flag/);
  t.deepEqual(await containerIds(image), before);
});

test('the container gets its arguments as typed, through both argument parsers', async (t) => {
  const { image } = t.context;
  const words = ['1e3', '0x10', '007', '-1', '--', '--rm', '-it', ''];
  const script = 'IFS="|"; echo "$*"';
  // Plain flags take the yargs-free parser; `hutch container run` and a flag
  // given twice go through yargs.
  for (const prefix of [['run'], ['container', 'run'], ['run', '--hostname', 'a', '--hostname', 'b']]) {
    const result = await hutch([...prefix, '--rm', image.ref, 'sh', '-c', script, 'sh', ...words], { store: image.store });
    t.is(result.exitCode, 0, result.stderr);
    t.is(result.stdout.replace(/\n$/, ''), words.join('|'), prefix.join(' '));
  }
});

test('a single-value flag given twice keeps its last value, as in podman', async (t) => {
  const { image } = t.context;
  const result = await hutch(['run', '--rm', '--hostname', 'first', '--hostname', 'second', image.ref, 'hostname'], { store: image.store });
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout.trim(), 'second');
});

test('a file that is not executable gives 126', async (t) => {
  const result = await runIn(t.context.image, [], ['/bin/not-executable']);
  t.is(result.exitCode, 126);
  t.regex(result.stderr, /not-executable/);
  t.is((await runIn(t.context.image, [], ['/tmp'])).exitCode, 126);
});

test.serial('a bad flag or value gives 125 and starts nothing', async (t) => {
  const { image } = t.context;
  const before = await containerIds(image);
  for (const flags of [['--no-such-flag'], ['--network', 'bogus'], ['--ulimit', 'bogus=1'], ['--cap-add', 'NOT_A_CAP'], ['-v', 'relative:/x']]) {
    const result = await runIn(image, flags, ['true']);
    t.is(result.exitCode, 125, `${flags.join(' ')}: ${result.stderr}`);
    t.not(result.stderr.trim(), '');
  }
  const missing = await hutch(['run', '--rm', 'localhost/no-such-image:v1', 'true'], { store: image.store });
  t.is(missing.exitCode, 125);
  t.deepEqual(await containerIds(image), before);
});

test('SIGTERM to hutch reaches the container: with --init a sleeping command ends with 143', async (t) => {
  const { image } = t.context;
  const { subprocess } = await spawnHutch(['run', '--rm', '--init', image.ref, '/bin/reporter', 'sleep', '120'], { store: image.store, timeout: 60_000 });
  await waitForLine(subprocess.stdout!, /"sleeping"/);
  subprocess.kill('SIGTERM');
  const result = await subprocess;
  t.is(result.exitCode, 143, `signal ${result.signal}: ${String(result.stderr)}`);
});

test('SIGINT to hutch reaches the container: with --init a sleeping command ends with 130', async (t) => {
  const { image } = t.context;
  const { subprocess } = await spawnHutch(['run', '--rm', '--init', image.ref, '/bin/reporter', 'sleep', '15'], { store: image.store, timeout: 60_000 });
  await waitForLine(subprocess.stdout!, /"sleeping"/);
  subprocess.kill('SIGINT');
  const result = await subprocess;
  t.is(result.exitCode, 130, `signal ${result.signal}: ${String(result.stderr)}`);
});

test('SIGTERM to hutch reaches a pid 1 shell that traps it', async (t) => {
  const { image } = t.context;
  const { subprocess } = await spawnHutch(['run', '--rm', image.ref, 'sh', '-c', 'trap "echo trapped; exit 7" TERM; echo ready; while true; do sleep 1; done'], { store: image.store, timeout: 60_000 });
  await waitForLine(subprocess.stdout!, /^ready$/);
  subprocess.kill('SIGTERM');
  const result = await subprocess;
  t.is(result.exitCode, 7, String(result.stderr));
  t.regex(String(result.stdout), /trapped/);
});

test.serial('--rm removes the container directory; without it the container stays', async (t) => {
  const { image } = t.context;
  const before = await containerIds(image);
  t.is((await runIn(image, [], ['true'])).exitCode, 0);
  t.deepEqual(await containerIds(image), before);
  const kept = await hutch(['run', image.ref, 'sh', '-c', 'exit 5'], { store: image.store });
  t.is(kept.exitCode, 5);
  const after = await containerIds(image);
  t.is(after.length, before.length + 1);
});
