// `hutch run` process identity and environment seen from inside: -u with
// names and ids, environment sources, working directory, entrypoint, and the
// terminal (-t through `script`, which gives hutch a real pty) and -i.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { installedHutch } from '../helpers/installed-cli.js';
import { type ReporterReport } from '../helpers/reporter.js';
import { prepareRunImage, report, runIn, type RunImage } from '../helpers/run-image.js';
import { makeTestUserDir, runAsTestUser } from '../helpers/test-user.js';

const test = anyTest as TestFn<{ image: RunImage }>;

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

function envOf(report1: ReporterReport): Record<string, string> {
  return Object.fromEntries(report1.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

test.before(async (t) => {
  t.context.image = await prepareRunImage({ config: { Env: ['PATH=/bin', 'IMAGE_VAR=from-image', 'OVERRIDDEN=image'] } });
});

test.after.always(async (t) => {
  await t.context.image?.remove();
});

test('the root directory is traversable by a non-root user', async (t) => {
  const mode = await runIn(t.context.image, [], ['stat', '-c', '%a', '/']);
  t.is(mode.exitCode, 0, mode.stderr);
  t.is(Number.parseInt(mode.stdout.trim(), 8) & 0o005, 0o005, `/ has mode ${mode.stdout.trim()}`);
  const asUser = await runIn(t.context.image, ['-u', '1000'], ['/bin/reporter', 'ids']);
  t.is(asUser.exitCode, 0, asUser.stderr);
});

test('-u NAME takes uid, gid, supplementary groups and HOME from the image', async (t) => {
  const ids = await report<ReporterReport>(t.context.image, ['-u', 'user'], ['all']);
  t.is(ids.uid, 1000);
  t.is(ids.gid, 1000);
  t.deepEqual(ids.groups, [50]);
  t.is(envOf(ids).HOME, '/home/user');
});

test('-u NAME:GROUP and -u UID:GID set exactly those ids', async (t) => {
  const named = await report<ReporterReport>(t.context.image, ['-u', 'user:staff'], ['ids']);
  t.deepEqual([named.uid, named.gid], [1000, 50]);
  const numeric = await report<ReporterReport>(t.context.image, ['-u', '1234:4321'], ['ids']);
  t.deepEqual([numeric.uid, numeric.gid], [1234, 4321]);
});

test('-u with a name the image does not know is refused', async (t) => {
  const result = await runIn(t.context.image, ['-u', 'nobody-here'], ['true']);
  t.is(result.exitCode, 125);
  t.regex(result.stderr, /nobody-here/);
});

test('-u 0 keeps root', async (t) => {
  const ids = await report<ReporterReport>(t.context.image, ['-u', '0'], ['ids']);
  t.deepEqual([ids.uid, ids.gid], [0, 0]);
});

test('the environment merges defaults, the image, --env-file and -e in that order', async (t) => {
  const dir = await makeTestUserDir('hutch-e2e-env-');
  const envFile = join(dir, 'env');
  await writeFile(envFile, '# comment\n\nFROM_FILE=file\nOVERRIDDEN=file\n  TRIMMED=yes\nHOST_VIA_FILE\n');
  const result = await runIn(
    t.context.image,
    ['--env-file', envFile, '-e', 'OVERRIDDEN=flag', '-e', 'FROM_FLAG=a=b', '-e', 'FROM_HOST', '-e', 'UNSET_ON_HOST'],
    ['/bin/reporter', 'env'],
    { env: { FROM_HOST: 'host value', HOST_VIA_FILE: 'via file' } },
  );
  t.is(result.exitCode, 0, result.stderr);
  const env = envOf(JSON.parse(result.stdout) as ReporterReport);
  t.is(env.PATH, '/bin');
  t.is(env.container, 'hutch');
  t.is(env.IMAGE_VAR, 'from-image');
  t.is(env.FROM_FILE, 'file');
  t.is(env.TRIMMED, 'yes');
  t.is(env.OVERRIDDEN, 'flag');
  t.is(env.FROM_FLAG, 'a=b');
  t.is(env.FROM_HOST, 'host value');
  t.is(env.HOST_VIA_FILE, 'via file');
  t.false('UNSET_ON_HOST' in env);
  t.is(env.HOME, '/root');
  t.regex(env.HOSTNAME ?? '', /^[0-9a-f]{12}$/);
  t.false('TERM' in env);
});

test('-w sets the working directory', async (t) => {
  const { cwd } = await report<ReporterReport>(t.context.image, ['-w', '/home'], ['cwd']);
  t.is(cwd, '/home');
  const byDefault = await report<ReporterReport>(t.context.image, [], ['cwd']);
  t.is(byDefault.cwd, '/');
});

test('-w creates a missing working directory inside the root, owned by the container user (podman)', async (t) => {
  const made = await runIn(t.context.image, ['-u', '1000', '-w', '/made/by/hutch'], ['stat', '-c', '%u %a %n', '/made', '/made/by/hutch']);
  t.is(made.exitCode, 0, made.stderr);
  t.deepEqual(made.stdout.trim().split('\n'), ['1000 755 /made', '1000 755 /made/by/hutch']);
  const readOnly = await runIn(t.context.image, ['--read-only', '-w', '/absent'], ['true']);
  t.is(readOnly.exitCode, 125);
  t.regex(readOnly.stderr, /create working directory `\/absent`: EROFS/);
});

test('--entrypoint "" runs the command alone; a JSON entrypoint takes several words', async (t) => {
  const cleared = await runIn(t.context.image, ['--entrypoint', ''], ['echo', 'plain']);
  t.is(cleared.exitCode, 0, cleared.stderr);
  t.is(cleared.stdout, 'plain\n');
  const json = await runIn(t.context.image, ['--entrypoint', '["/bin/sh","-c"]'], ['echo "$0 via sh"']);
  t.is(json.exitCode, 0, json.stderr);
  t.is(json.stdout, '/bin/sh via sh\n');
  const single = await runIn(t.context.image, ['--entrypoint', '/bin/echo'], ['one', 'two']);
  t.is(single.stdout, 'one two\n');
});

test('the image Cmd runs when no command is given', async (t) => {
  const result = await runIn(t.context.image, [], []);
  t.is(result.exitCode, 0, result.stderr);
  t.is((JSON.parse(result.stdout) as ReporterReport).pid, 1);
});

test('without -t there is no terminal and stdout and stderr stay separate', async (t) => {
  const result = await runIn(t.context.image, [], ['sh', '-c', 'tty; echo out; echo err >&2']);
  t.is(result.stdout, 'not a tty\nout\n');
  t.is(result.stderr, 'err\n');
});

test('-i passes stdin to the container', async (t) => {
  const result = await runIn(t.context.image, ['-i'], ['sh', '-c', 'cat; echo done'], { input: 'line one\nline two\n' });
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, 'line one\nline two\ndone\n');
});

test('-t gives the command a pseudo-terminal of its own devpts and TERM=xterm', async (t) => {
  const script = await runAsTestUser('sh', ['-c', 'command -v script']);
  if (script.exitCode !== 0) {
    t.fail('the `script` utility (util-linux/bsdutils) is needed to give hutch a terminal');
    return;
  }
  const { image } = t.context;
  const bin = await installedHutch();
  const words = [bin, '--root', image.store.root, '--runroot', image.store.runroot, 'run', '--rm', '-t', image.ref, 'sh', '-c', 'tty; echo "TERM=$TERM"; test -t 0 && test -t 1 && echo both-tty; exit 4'];
  const result = await runAsTestUser('script', ['-qec', words.map(shellQuote).join(' '), '/dev/null'], { timeout: 60_000 });
  const output = result.stdout.replaceAll('\r', '');
  t.regex(output, /^\/dev\/pts\/\d+$/m);
  t.regex(output, /^TERM=xterm$/m);
  t.regex(output, /^both-tty$/m);
  t.is(result.exitCode, 4, output);
});
