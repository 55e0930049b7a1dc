// `hutch exec` in a running container: exit status propagated, -e/-w/-u/-i,
// same namespaces and security settings as the container, --privileged
// refused rootless, a clear error when the container does not run.
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import type { RunImage } from '../helpers/run-image.js';
import { h, ok, prepareLifecycleImage, runDetached, waitForStatus } from '../helpers/lifecycle-cli.js';
import { parseReport, type ReporterReport } from '../helpers/reporter.js';

const test = anyTest as TestFn<{ image: RunImage; id: string }>;

test.before(async (t) => {
  t.context.image = await prepareLifecycleImage();
  t.context.id = await runDetached(t.context.image, ['--hostname', 'exec-box', '--cap-drop', 'CHOWN'], ['sh', '-c', 'echo pid1-marker > /tmp/marker; exec sleep 1000']);
  await waitForStatus(t.context.image, t.context.id, 'running');
});

test.after.always(async (t) => {
  if (t.context.image === undefined) return;
  await h(t.context.image, ['rm', '-f', t.context.id]).catch(() => undefined);
  await t.context.image.remove();
});

test('the exit status is the command\'s; 126/127 for hutch-side exec failures', async (t) => {
  const { image, id } = t.context;
  t.is((await h(image, ['exec', id, 'true'])).exitCode, 0);
  t.is((await h(image, ['exec', id, 'sh', '-c', 'exit 9'])).exitCode, 9);
  const missing = await h(image, ['exec', id, '/bin/no-such-thing']);
  t.is(missing.exitCode, 127);
  t.regex(missing.stderr, /no-such-thing/);
  t.is((await h(image, ['exec', id, '/bin/not-executable'])).exitCode, 126);
});

test('exec sees the container: its files, hostname, pid namespace', async (t) => {
  const { image, id } = t.context;
  t.is((await ok(image, ['exec', id, 'cat', '/tmp/marker'])), 'pid1-marker\n');
  t.is((await ok(image, ['exec', id, 'hostname'])).trim(), 'exec-box');
  t.regex(await ok(image, ['exec', id, 'cat', '/proc/1/cmdline']), /sleep/);
});

test('exec keeps the container\'s security settings (dropped capability, no_new_privs, seccomp)', async (t) => {
  const { image, id } = t.context;
  const report = parseReport<ReporterReport>(await ok(image, ['exec', id, '/bin/reporter', 'all']));
  const bnd = BigInt(`0x${report.caps.bnd}`);
  t.is(bnd & 1n, 0n, 'CAP_CHOWN stays dropped from the bounding set');
  t.is(report.seccomp, '2');
  t.is(report.uid, 0);
  const privileged = await h(image, ['exec', '--privileged', id, 'true']);
  t.not(privileged.exitCode, 0);
  t.regex(privileged.stderr, /privileged/);
});

// The monitor keeps the seccomp program it generated at create (ROOT/ID/seccomp.bpf) and exec loads it
// instead of compiling the profile again: the filter must be the container's either way.
test('exec applies the container\'s seccomp filter, from the program cache or compiled again', async (t) => {
  const { image, id } = t.context;
  const probes = ['keyctl', 'bpf', 'unshare', '1000'];
  const probe = async (run: (syscall: string) => Promise<string>) => Promise.all(probes.map(async (name) => parseReport<{ result: number; errno: string }>(await run(name))));
  const inInit = await probe((name) => ok(image, ['run', '--rm', image.ref, '/bin/reporter', 'syscall', name]));
  t.true(inInit.some((r) => r.result === -1), JSON.stringify(inInit));
  const cache = join(image.store.root, 'seccomp-cache');
  const programs = (await readdir(cache)).filter((name) => name.endsWith('.bpf'));
  t.true(programs.length > 0, 'the compiled program is cached');
  t.deepEqual(await probe((name) => ok(image, ['exec', id, '/bin/reporter', 'syscall', name])), inInit);
  for (const name of programs) await writeFile(join(cache, name), 'not a program');
  t.deepEqual(await probe((name) => ok(image, ['exec', id, '/bin/reporter', 'syscall', name])), inInit, 'an unusable program is compiled again');
  await rm(cache, { recursive: true, force: true });
  t.deepEqual(await probe((name) => ok(image, ['exec', id, '/bin/reporter', 'syscall', name])), inInit, 'a missing program is compiled again');
});

test('-e, -w, -u and -i', async (t) => {
  const { image, id } = t.context;
  t.is(await ok(image, ['exec', '-e', 'GREETING=hi there', id, 'sh', '-c', 'echo "$GREETING"']), 'hi there\n');
  t.is(await ok(image, ['exec', '-w', '/home', id, 'pwd']), '/home\n');
  t.is(await ok(image, ['exec', '-u', '1000', id, 'id', '-u']), '1000\n');
  t.is(await ok(image, ['exec', '-u', 'user', id, 'id', '-un']), 'user\n');
  t.is(await ok(image, ['exec', '-i', id, 'cat'], { input: 'from stdin\n' }), 'from stdin\n');
  t.is(await ok(image, ['exec', id, 'cat'], { input: 'not passed\n' }), '', 'without -i stdin is not forwarded');
});

test('exec in a container that does not run is a clear error', async (t) => {
  const { image } = t.context;
  const created = (await ok(image, ['create', image.ref, 'true'])).trim();
  const early = await h(image, ['exec', created, 'true']);
  t.not(early.exitCode, 0);
  t.regex(early.stderr, /not running|created/i);
  const exited = await runDetached(image, [], ['true']);
  await waitForStatus(image, exited, 'exited');
  const late = await h(image, ['exec', exited, 'true']);
  t.not(late.exitCode, 0);
  t.regex(late.stderr, /not running|exited|stopped/i);
  const unknown = await h(image, ['exec', 'no-such-container', 'true']);
  t.not(unknown.exitCode, 0);
  t.regex(unknown.stderr, /no-such-container/);
  await ok(image, ['rm', created, exited]);
});
