// `hutch run` root filesystem and mounts seen from inside: the overlay upper
// keeps the image intact, image ownership, bind mounts (rw, ro, keep-id),
// tmpfs, --read-only, and refusal of hostile roots and workdirs.
import { chown, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { parseReport, type ReporterMount, type ReporterProbe, type ReporterReport } from '../helpers/reporter.js';
import { MOTD, prepareRunImage, report, runIn, type RunImage } from '../helpers/run-image.js';
import { makeTestUserDir, switchesUser, testUser } from '../helpers/test-user.js';

const test = anyTest as TestFn<{ image: RunImage }>;

/** A file written by the test process, owned by the test user as if they had created it. */
async function userFile(path: string, content: string): Promise<void> {
  await writeFile(path, content);
  if (switchesUser()) await chown(path, testUser().uid, testUser().gid);
}

/** The store's diff dir of the image's only layer (a base layer's chain ID is its diff ID). */
function layerDiff(image: RunImage): string {
  return join(image.store.root, 'layers', image.image.layers[0]!.diffId.slice('sha256:'.length), 'diff');
}

test.before(async (t) => {
  t.context.image = await prepareRunImage();
});

test.after.always(async (t) => {
  await t.context.image?.remove();
});

test('changes in one container do not reach the image or the next container', async (t) => {
  const { image } = t.context;
  const first = await runIn(image, [], ['sh', '-c', 'echo changed > /etc/motd && rm /home/user/owned && touch /new-file && cat /etc/motd']);
  t.is(first.exitCode, 0, first.stderr);
  t.is(first.stdout, 'changed\n');
  const second = await runIn(image, [], ['sh', '-c', 'cat /etc/motd; ls /home/user; test -e /new-file && echo new-file-present; exit 0']);
  t.is(second.exitCode, 0, second.stderr);
  t.is(second.stdout, `${MOTD}owned\n`);
  t.is(await readFile(join(layerDiff(image), 'etc', 'motd'), 'utf8'), MOTD);
});

test('files owned by uid 1000 in the image are owned by 1000 inside and by the subordinate id on the host', async (t) => {
  const { image } = t.context;
  const result = await runIn(image, [], ['stat', '-c', '%u:%g %a', '/home/user/owned', '/home/user']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(result.stdout.trim().split('\n'), ['1000:1000 600', '1000:1000 750']);
  const user = testUser();
  if (user.subuid !== null && user.subgid !== null) {
    // The directory, not the file in it: an ordinary user cannot search a directory its subordinate id owns with mode 0750.
    const onHost = await stat(join(layerDiff(image), 'home', 'user'));
    t.is(onHost.uid, user.subuid.start + 999);
    t.is(onHost.gid, user.subgid.start + 999);
  }
});

test('a -v bind mount is writable, and the user\'s files appear as root\'s by default', async (t) => {
  const dir = await makeTestUserDir('hutch-e2e-bind-');
  await userFile(join(dir, 'from-host'), 'host data\n');
  const result = await runIn(t.context.image, ['-v', `${dir}:/data`], ['sh', '-c', 'stat -c "%u:%g" /data/from-host; cat /data/from-host; echo inside > /data/from-container']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, '0:0\nhost data\n');
  const created = await stat(join(dir, 'from-container'));
  t.is(created.uid, testUser().uid);
  t.is(await readFile(join(dir, 'from-container'), 'utf8'), 'inside\n');
});

test('a :ro bind mount cannot be written', async (t) => {
  const dir = await makeTestUserDir('hutch-e2e-bind-ro-');
  await userFile(join(dir, 'file'), 'keep\n');
  const result = await runIn(t.context.image, ['-v', `${dir}:/data:ro`], ['sh', '-c', '/bin/reporter write /data/file gone; /bin/reporter write /data/new x']);
  t.is(result.exitCode, 0, result.stderr);
  for (const line of result.stdout.trim().split('\n')) {
    const probe = parseReport<ReporterProbe>(line);
    t.is(probe.errno, 'EROFS', line);
  }
  t.is(await readFile(join(dir, 'file'), 'utf8'), 'keep\n');
  t.deepEqual(await readdir(dir), ['file']);
});

test('--mount type=bind,readonly binds read-only', async (t) => {
  const dir = await makeTestUserDir('hutch-e2e-mount-');
  await userFile(join(dir, 'file'), 'via --mount\n');
  const result = await runIn(t.context.image, ['--mount', `type=bind,source=${dir},target=/mnt/x,readonly`], ['sh', '-c', 'cat /mnt/x/file; /bin/reporter write /mnt/x/new x']);
  t.is(result.exitCode, 0, result.stderr);
  const [content, probe] = result.stdout.trim().split('\n');
  t.is(content, 'via --mount');
  t.is(parseReport<ReporterProbe>(probe ?? '').errno, 'EROFS');
});

const withRanges = testUser().subuid !== null && testUser().subgid !== null ? test : test.skip;

withRanges('with --userns=keep-id, the user\'s files keep their uid inside and new files are the user\'s', async (t) => {
  const user = testUser();
  const dir = await makeTestUserDir('hutch-e2e-keepid-');
  await userFile(join(dir, 'mine'), 'mine\n');
  const result = await runIn(t.context.image, ['--userns=keep-id', '-v', `${dir}:/work`], ['sh', '-c', 'id -u; stat -c "%u:%g" /work/mine; echo made > /work/made']);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `${user.uid}\n${user.uid}:${user.gid}\n`);
  const made = await stat(join(dir, 'made'));
  t.is(made.uid, user.uid);
  t.is(made.gid, user.gid);
});

test('--tmpfs mounts a writable tmpfs with the given options', async (t) => {
  const result = await runIn(t.context.image, ['--tmpfs', '/scratch:size=1m,mode=1777'], ['sh', '-c', 'echo hi > /scratch/f && cat /scratch/f; stat -c %a /scratch; /bin/reporter mounts']);
  t.is(result.exitCode, 0, result.stderr);
  const [content, mode, mountsLine] = result.stdout.trim().split('\n');
  t.is(content, 'hi');
  t.is(mode, '1777');
  const { mounts } = parseReport<{ mounts: ReporterMount[] }>(mountsLine ?? '');
  const scratch = mounts.find((m) => m.mountpoint === '/scratch');
  t.is(scratch?.fstype, 'tmpfs');
  t.regex(scratch?.super_options ?? '', /size=1024k/);
  t.regex(scratch?.options ?? '', /nosuid/);
  t.regex(scratch?.options ?? '', /nodev/);
});

test('--read-only makes the root unwritable and keeps /tmp, /var/tmp and /run writable', async (t) => {
  const result = await runIn(t.context.image, ['--read-only'], ['sh', '-c', 'for p in /etc/new /bin/new /tmp/new /var/tmp/new /run/new; do /bin/reporter write $p x; done']);
  t.is(result.exitCode, 0, result.stderr);
  const probes = result.stdout.trim().split('\n').map((line) => parseReport<ReporterProbe>(line));
  t.deepEqual(probes.map((p) => [p.path, p.errno]), [
    ['/etc/new', 'EROFS'], ['/bin/new', 'EROFS'], ['/tmp/new', null], ['/var/tmp/new', null], ['/run/new', null],
  ]);
});

test('/dev holds the standard devices and a private devpts', async (t) => {
  const result = await runIn(t.context.image, [], ['sh', '-c', 'ls /dev; echo x > /dev/null && head -c 4 /dev/zero | wc -c']);
  t.is(result.exitCode, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'mqueue', 'ptmx']) t.true(lines.includes(dev), `/dev/${dev} missing`);
  t.is(lines.at(-1)?.trim(), '4');
  const report1 = await report<ReporterReport>(t.context.image, [], ['mounts']);
  t.false(report1.mounts.some((m) => m.mountpoint.startsWith('/dev/') && m.source === '/dev/sda'), 'a host disk is mounted under /dev');
});

for (const special of ['proc', 'dev', 'sys']) {
  test(`an image whose /${special} is a symlink is refused`, async (t) => {
    const hostile = await prepareRunImage({ without: [special], extraEntries: [{ type: 'symlink', path: special, target: '/tmp' }] });
    t.teardown(() => hostile.remove());
    const result = await runIn(hostile, [], ['/bin/reporter', 'exit', '0']);
    t.is(result.exitCode, 125, result.stderr);
    t.regex(result.stderr, new RegExp(`/${special}\\b`));
    t.regex(result.stderr, /symlink|symbolic link/i);
  });
}

test('a workdir through /proc/self/fd does not leave the container', async (t) => {
  const result = await runIn(t.context.image, ['-w', '/proc/self/fd/3'], ['/bin/reporter', 'cwd']);
  if (result.exitCode === 0) {
    const { cwd } = parseReport<ReporterReport>(result.stdout);
    t.false((cwd ?? '').startsWith('/tmp/hutch-e2e'), `cwd ${cwd} is a host path`);
    t.notRegex(cwd ?? '', /^\/proc\/self\/fd/);
  } else {
    t.true([125, 126, 127].includes(result.exitCode), result.stderr);
    t.regex(result.stderr, /proc\/self\/fd\/3|workdir|working directory/i);
  }
});

test('a workdir symlink pointing at a host path is resolved inside the root', async (t) => {
  const hostDir = await makeTestUserDir('hutch-e2e-workdir-');
  await userFile(join(hostDir, 'host-only'), 'host\n');
  const escaping = await prepareRunImage({
    extraEntries: [
      { type: 'symlink', path: 'data/abs', target: hostDir },
      { type: 'symlink', path: 'data/rel', target: '../../../../../../..' + hostDir },
    ],
  });
  t.teardown(() => escaping.remove());
  for (const workdir of ['/data/abs', '/data/rel']) {
    const result = await runIn(escaping, ['-w', workdir], ['sh', '-c', 'ls -a .; pwd -P']);
    if (result.exitCode === 0) {
      t.notRegex(result.stdout, /host-only/, `${workdir} reached the host directory`);
    } else {
      t.true([125, 126, 127].includes(result.exitCode), result.stderr);
    }
  }
  t.deepEqual(await readdir(hostDir), ['host-only']);
});
