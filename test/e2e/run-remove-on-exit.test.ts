// `hutch-runtime run --remove-on-exit DIR` (what `hutch run --rm` uses): the
// runtime deletes DIR itself once the container exited, from inside the
// container's user namespace, keeping the container's exit status; it
// refuses paths it must never delete and never crosses a mount point.
import { existsSync } from 'node:fs';
import { readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import { makeRangedOciBundle, type OciBundle } from '../helpers/lifecycle-oci.js';
import { makeTestUserDir, runAsTestUser, spawnAsTestUser, switchesUser, testUser } from '../helpers/test-user.js';

const test = anyTest as TestFn;
const RUNTIME = fileURLToPath(new URL('../../build/Release/hutch-runtime', import.meta.url));

async function rangedBundle(args: string[]): Promise<{ bundle: OciBundle; base: string }> {
  const bundle = await makeRangedOciBundle(args);
  return { bundle, base: dirname(bundle.dir) };
}

function runWithRemoval(bundle: OciBundle, dir: string, id: string) {
  return runAsTestUser(RUNTIME, ['run', '--bundle', bundle.dir, '--id', id, '--remove-on-exit', dir]);
}

test('the whole tree goes, files of subordinate ids and unreadable directories too, and the exit status is the container\'s', async (t) => {
  const { bundle, base } = await rangedBundle(['/bin/sh', '-c', 'bb=/bin/busybox; $bb mkdir -p /tmp/a/b/c && touch /tmp/a/b/c/f && $bb ln -s /etc/passwd /tmp/a/l && $bb chown -R 1000:1000 /tmp/a && $bb chmod 000 /tmp/a/b/c /tmp/a/b /tmp/a && exit 7']);
  t.teardown(() => bundle.remove());
  const result = await runWithRemoval(bundle, base, 'rm-tree');
  t.is(result.exitCode, 7, result.stderr);
  t.is(result.stderr, '');
  t.false(existsSync(base), `${base} is still there`);
});

test('a runtime failure removes nothing (the caller cleans up) and keeps its own status', async (t) => {
  const { bundle, base } = await rangedBundle(['/no/such/program']);
  t.teardown(() => bundle.remove());
  const result = await runWithRemoval(bundle, base, 'rm-fail');
  t.is(result.exitCode, 127);
  t.regex(result.stderr, /no\/such\/program/);
  t.true(existsSync(bundle.dir));
});

test('refuses `/`, relative paths, `..`, symlinks and directories the caller does not own, before starting anything', async (t) => {
  const { bundle, base } = await rangedBundle(['/bin/sh', '-c', 'touch /out/started']);
  t.teardown(() => bundle.remove());
  const victim = await makeTestUserDir('hutch-e2e-rm-victim-');
  t.teardown(() => rm(victim, { recursive: true, force: true }));
  await writeFile(join(victim, 'keep'), 'keep\n');
  const link = join(base, 'link');
  await symlink(victim, link);
  if (switchesUser()) await execa('chown', ['-h', `${testUser().uid}:${testUser().gid}`, link]);
  const cases: Array<[string, RegExp]> = [
    ['/', /refusing to remove the root directory/],
    ['//', /refusing to remove the root directory/],
    ['relative/dir', /must be an absolute path/],
    [`${victim}/../${victim.split('/').pop()}`, /`\.` and `\.\.` components are not allowed/],
    [link, /not a directory \(a symlink, never followed\)/],
    ['/usr', /owned by uid 0, not by the caller/],
  ];
  for (const [dir, message] of cases) {
    const result = await runWithRemoval(bundle, dir, 'rm-refuse');
    t.is(result.exitCode, 125, dir);
    t.regex(result.stderr, message, dir);
  }
  t.deepEqual(await readdir(bundle.out), []);
  t.true(existsSync(join(victim, 'keep')));
  t.true(existsSync('/usr/bin'));
});

// A bind mount of the same filesystem has the same st_dev, so rm
// --one-file-system's check alone would delete the victim's files.
(switchesUser() ? test.serial : test.serial.skip)('a mount point inside the tree is not entered, even a bind mount of the same filesystem', async (t) => {
  const { bundle, base } = await rangedBundle(['/bin/sh', '-c', '/bin/busybox mkdir /mnt && touch /out/ready && while [ ! -e /out/go ]; do sleep 0.05; done']);
  const victim = await makeTestUserDir('hutch-e2e-rm-victim-');
  await writeFile(join(victim, 'keep'), 'keep\n');
  await execa('chown', ['-R', `${testUser().uid}:${testUser().gid}`, victim]);
  const mountPoint = join(bundle.dir, 'rootfs', 'mnt');
  t.teardown(async () => {
    await execa('umount', [mountPoint], { reject: false });
    await rm(victim, { recursive: true, force: true });
    await bundle.remove();
  });
  const running = spawnAsTestUser(RUNTIME, ['run', '--bundle', bundle.dir, '--id', 'rm-mount', '--remove-on-exit', base]);
  for (let i = 0; i < 400 && !existsSync(join(bundle.out, 'ready')); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  await execa('mount', ['--bind', victim, mountPoint]);
  await writeFile(join(bundle.out, 'go'), '');
  const result = await running;
  t.is(result.exitCode, 0, String(result.stderr));
  t.regex(String(result.stderr), /remove `[^`]*\/rootfs\/mnt`: EXDEV .*a mount point, not entered/);
  t.true(existsSync(join(victim, 'keep')));
});
