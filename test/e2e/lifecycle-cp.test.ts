// `hutch cp` both ways, confined to the container (CVE-2018-15664: a container
// that swaps a path component for a symlink to a host directory while cp runs
// must never make hutch read or write on the host), `diff` and `export`.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import type { RunImage } from '../helpers/run-image.js';
import { makeTestUserDir, runAsTestUser } from '../helpers/test-user.js';
import { h, ok, prepareLifecycleImage, runDetached, waitForFileInContainer, waitForStatus } from '../helpers/lifecycle-cli.js';

const test = anyTest as TestFn<{ image: RunImage; host: string }>;

test.before(async (t) => {
  t.context.image = await prepareLifecycleImage();
  t.context.host = await makeTestUserDir('hutch-e2e-cp-');
});

test.after.always(async (t) => {
  if (t.context.image === undefined) return;
  await h(t.context.image, ['rm', '-f', '-a']).catch(() => undefined);
  await t.context.image.remove();
  await rm(t.context.host, { recursive: true, force: true });
});

/** Writes a file as the test user (so hutch, running as that user, can read it). */
async function userFile(path: string, content: string): Promise<void> {
  const result = await runAsTestUser('/bin/sh', ['-c', 'cat > "$1"', 'sh', path], { input: content });
  if (result.exitCode !== 0) throw new Error(`cannot write ${path}: ${result.stderr}`);
}

test('cp host → container and container → host', async (t) => {
  const { image, host } = t.context;
  const id = await runDetached(image, []);
  await waitForStatus(image, id, 'running');
  await userFile(join(host, 'in.txt'), 'from the host\n');
  const into = await h(image, ['cp', join(host, 'in.txt'), `${id}:/data/in.txt`]);
  t.is(into.exitCode, 0, into.stderr);
  t.is(await ok(image, ['exec', id, 'cat', '/data/in.txt']), 'from the host\n');

  await ok(image, ['exec', id, 'sh', '-c', 'mkdir -p /data/tree/sub && echo deep > /data/tree/sub/f && ln -s sub/f /data/tree/link']);
  const out = join(host, 'out');
  const back = await h(image, ['cp', `${id}:/data/tree`, out]);
  t.is(back.exitCode, 0, back.stderr);
  t.is(await readFile(join(out, 'sub', 'f'), 'utf8'), 'deep\n');
  const motd = await h(image, ['cp', `${id}:/etc/motd`, join(host, 'motd')]);
  t.is(motd.exitCode, 0, motd.stderr);
  t.is(await readFile(join(host, 'motd'), 'utf8'), 'original motd\n');

  const missing = await h(image, ['cp', `${id}:/no/such/file`, join(host, 'x')]);
  t.not(missing.exitCode, 0);
  t.regex(missing.stderr, /no\/such\/file/);
  await ok(image, ['rm', '-f', id]);
});

test('cp into a stopped container works; symlinks in the container resolve inside it', async (t) => {
  const { image, host } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', `ln -s ${host} /data/escape; ln -s / /data/root`]);
  await waitForStatus(image, id, 'exited');
  await userFile(join(host, 'payload'), 'payload\n');
  const before = (await readdir(host)).sort();
  // Absolute symlink targets are the container's: /data/escape → HOST inside the container, not on the host.
  const viaEscape = await h(image, ['cp', join(host, 'payload'), `${id}:/data/escape/planted`]);
  t.deepEqual((await readdir(host)).sort(), before, `nothing written into the host directory (${viaEscape.exitCode})`);
  const plain = await h(image, ['cp', join(host, 'payload'), `${id}:/data/plain`]);
  t.is(plain.exitCode, 0, plain.stderr);
  const back = await h(image, ['cp', `${id}:/data/plain`, join(host, 'plain-back')]);
  t.is(back.exitCode, 0, back.stderr);
  t.is(await readFile(join(host, 'plain-back'), 'utf8'), 'payload\n');
  const after = (await readdir(host)).filter((name) => name !== 'plain-back').sort();
  const viaRoot = await h(image, ['cp', join(host, 'payload'), `${id}:/data/root${host}/planted2`]);
  t.deepEqual((await readdir(host)).filter((name) => name !== 'plain-back').sort(), after, `nothing written through /data/root either (${viaRoot.exitCode})`);
  await ok(image, ['rm', '-f', id]);
});

test('CVE-2018-15664: a symlink swapped in during cp never makes hutch write or read on the host', async (t) => {
  const { image, host } = t.context;
  const victim = await makeTestUserDir('hutch-e2e-cp-victim-');
  t.teardown(() => rm(victim, { recursive: true, force: true }));
  await userFile(join(victim, 'secret'), 'host secret\n');
  // /data/d flips between a real directory and a symlink to the host's victim directory.
  const swapper = `mkdir -p /data/dir; echo container > /data/dir/secret; ln -s ${victim} /data/link; touch /tmp/ready;
while true; do mv /data/dir /data/d; mv /data/d /data/dir; mv /data/link /data/d; mv /data/d /data/link; done`;
  const id = await runDetached(image, [], ['sh', '-c', swapper]);
  await waitForFileInContainer(image, id, '/tmp/ready');
  await userFile(join(host, 'attack'), 'attacker\n');
  t.timeout(300_000);
  const copiedBack: string[] = [];
  for (let i = 0; i < 40; i++) {
    await h(image, ['cp', join(host, 'attack'), `${id}:/data/d/pwned`]);
    const target = join(host, `back-${i}`);
    const back = await h(image, ['cp', `${id}:/data/d/secret`, target]);
    if (back.exitCode === 0) copiedBack.push(await readFile(target, 'utf8').catch(() => ''));
  }
  t.deepEqual((await readdir(victim)).sort(), ['secret'], 'cp wrote into the host directory');
  t.is(await readFile(join(victim, 'secret'), 'utf8'), 'host secret\n');
  t.false(copiedBack.includes('host secret\n'), 'cp read a host file through the swapped symlink');
  await ok(image, ['rm', '-f', id]);
});

test('diff lists added, changed and deleted paths', async (t) => {
  const { image } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'touch /data/new; rm /etc/motd; echo changed > /home/user/owned']);
  await waitForStatus(image, id, 'exited');
  const diff = await ok(image, ['diff', id]);
  const lines = diff.trim().split('\n');
  t.true(lines.includes('A /data/new'), diff);
  t.true(lines.includes('D /etc/motd'), diff);
  t.true(lines.includes('C /home/user/owned'), diff);
  t.false(lines.some((line) => line.endsWith(' /bin/busybox')), diff);
  await ok(image, ['rm', id]);
});

test('export writes the container filesystem as a tar', async (t) => {
  const { image, host } = t.context;
  const id = await runDetached(image, [], ['sh', '-c', 'echo added > /data/new; rm /etc/motd']);
  await waitForStatus(image, id, 'exited');
  const file = join(host, 'export.tar');
  const exported = await h(image, ['export', '-o', file, id]);
  t.is(exported.exitCode, 0, exported.stderr);
  const raw = (await execa('tar', ['-tf', file])).stdout.split('\n');
  const list = raw.map((name) => name.replace(/^\.\//, '').replace(/\/$/, ''));
  t.true(list.includes('bin/busybox'));
  t.true(list.includes('data/new'));
  t.false(list.includes('etc/motd'), 'a deleted file is not exported');
  t.false(list.some((name) => name.includes('.wh.')), 'no whiteouts in an export');
  const member = raw.find((name) => name.replace(/^\.\//, '') === 'data/new')!;
  t.is((await execa('tar', ['-xOf', file, member])).stdout, 'added');
  const toStdout = await h(image, ['export', id]);
  t.is(toStdout.exitCode, 0);
  t.true(toStdout.stdout.length > 1_000_000);
  await ok(image, ['rm', id]);
});
