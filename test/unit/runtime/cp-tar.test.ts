import { mkdtemp, mkdir, readFile, readlink, rm, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import test from 'ava';
import { extractToStaging, memberParts, moveInto } from '../../../src/runtime/cp-host-extract.js';
import { packHostPath, tarHeader } from '../../../src/runtime/cp-tar-pack.js';

test('a packed tree extracts back, symlinks kept as symlinks, long names through pax', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hutch-cp-tar-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const long = 'n'.repeat(150);
  await mkdir(join(dir, 'src', 'sub'), { recursive: true });
  await writeFile(join(dir, 'src', 'sub', long), 'deep\n');
  await symlink('sub', join(dir, 'src', 'link'));
  const out = join(dir, 'out');
  await mkdir(out);
  const staging = await extractToStaging(packHostPath(join(dir, 'src'), 'top'), out);
  t.is(await readFile(join(staging, 'top', 'sub', long), 'utf8'), 'deep\n');
  t.is(await readlink(join(staging, 'top', 'link')), 'sub');
});

test('member names that climb out are refused', (t) => {
  t.throws(() => memberParts('top/../../etc/passwd'), { message: /unsafe/ });
  t.throws(() => memberParts('./'), { message: /unsafe/ });
  t.deepEqual(memberParts('./top//a/'), ['top', 'a']);
});

test('a member below a symlink of the same archive is never written through it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hutch-cp-tar-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const victim = join(dir, 'victim');
  await mkdir(victim);
  const out = join(dir, 'out');
  await mkdir(out);
  const content = Buffer.from('pwned');
  const tar = Buffer.concat([
    tarHeader({ name: 'top/', type: '5', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 0 }),
    tarHeader({ name: 'top/esc', type: '2', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: 0, linkname: victim }),
    tarHeader({ name: 'top/esc/planted', type: '0', mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: 0 }),
    content,
    Buffer.alloc(512 - content.length + 1024),
  ]);
  await t.throwsAsync(extractToStaging(Readable.from([tar]), out), { message: /non-directory/ });
  t.deepEqual(await readdir(victim), []);
});

test('moveInto merges directories and refuses a file over a directory', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hutch-cp-move-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'a', 'd'), { recursive: true });
  await writeFile(join(dir, 'a', 'd', 'new'), 'n');
  await mkdir(join(dir, 'b', 'd'), { recursive: true });
  await writeFile(join(dir, 'b', 'd', 'old'), 'o');
  await moveInto(join(dir, 'a'), join(dir, 'b'));
  t.deepEqual((await readdir(join(dir, 'b', 'd'))).sort(), ['new', 'old']);
  await writeFile(join(dir, 'f'), 'f');
  await t.throwsAsync(moveInto(join(dir, 'f'), join(dir, 'b')), { message: /non-directory/ });
});
