import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidContentError } from '../../../src/errors.js';
import { readFileInRootfs, type GetXattr } from '../../../src/spec/rootfs-file.js';
import { readUserFiles } from '../../../src/spec/user.js';

const MAX = 1024 * 1024;

/** Builds layer dirs (top first) from a description; returns their paths and the set of opaque dirs. */
function layers(t: { teardown: (f: () => void) => void }, spec: Record<string, string | { link: string } | 'whiteout' | 'fifo' | 'dir' | 'opaque'>[]) {
  const root = mkdtempSync(join(tmpdir(), 'hutch-rootfs-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const opaque = new Set<string>();
  const dirs = spec.map((entries, i) => {
    const dir = join(root, `layer${i}`);
    mkdirSync(dir);
    for (const [path, what] of Object.entries(entries)) {
      const p = join(dir, path);
      mkdirSync(what === 'dir' || what === 'opaque' ? p : dirname(p), { recursive: true });
      if (typeof what === 'object') symlinkSync(what.link, p);
      else if (what === 'whiteout') execFileSync('mknod', [p, 'c', '0', '0']);
      else if (what === 'fifo') execFileSync('mkfifo', [p]);
      else if (what === 'opaque') opaque.add(p);
      else if (what !== 'dir') writeFileSync(p, what);
    }
    return dir;
  });
  const getxattr: GetXattr = (path, name) => (name === 'user.overlay.opaque' && opaque.has(path) ? Buffer.from('y') : null);
  return { root, dirs, getxattr };
}

const isRoot = process.getuid?.() === 0;

test('reads a file from the topmost layer that has it', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': 'top' }, { 'etc/passwd': 'bottom', 'etc/group': 'g' }]);
  t.is((await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }))?.toString(), 'top');
  t.is((await readFileInRootfs(dirs, '/etc/group', MAX, { getxattr }))?.toString(), 'g');
  t.is(await readFileInRootfs(dirs, '/etc/shadow', MAX, { getxattr }), null);
});

test('absolute symlink resolves inside the rootfs, never to the host file', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': { link: '/etc/hostname' } }, { 'etc/hostname': 'container-hostname' }]);
  t.is((await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }))?.toString(), 'container-hostname');
});

test('attack: a symlink to the host /etc/shadow-like file only reaches the image path', async (t) => {
  const secret = mkdtempSync(join(tmpdir(), 'hutch-secret-'));
  t.teardown(() => rmSync(secret, { recursive: true, force: true }));
  writeFileSync(join(secret, 'shadow'), 'HOST SECRET');
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': { link: join(secret, 'shadow') } }]);
  t.is(await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), null);
});

test('attack: ../../.. chains are clamped at the rootfs root', async (t) => {
  const { root, dirs, getxattr } = layers(t, [{ 'etc/passwd': { link: '../../../../../../../../etc/real' }, 'etc/real': 'inside' }]);
  writeFileSync(join(root, 'etc-real-outside'), 'outside');
  t.is((await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }))?.toString(), 'inside');
  t.is((await readFileInRootfs(dirs, '/../../../etc/real', MAX, { getxattr }))?.toString(), 'inside');
});

test('attack: a relative symlink cannot climb out of the layer dir to a sibling', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': { link: '../../layer1/etc/x' } }, { 'etc/x': 'x', 'layer1/etc/x': 'in-image path' }]);
  t.is((await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }))?.toString(), 'in-image path');
});

test('attack: a symlinked directory pointing at the host is resolved in the image', async (t) => {
  const { dirs, getxattr } = layers(t, [{ etc: { link: '/tmp' } }, { 'tmp/passwd': 'image tmp' }]);
  t.is((await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }))?.toString(), 'image tmp');
});

test('attack: symlink loops end with ELOOP', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': { link: 'loop' }, 'etc/loop': { link: '/etc/passwd' } }]);
  await t.throwsAsync(readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), { instanceOf: InvalidContentError, message: /too many levels/ });
});

test('a chain of 40 links is followed, 41 is refused', async (t) => {
  const chain = (n: number) => {
    const e: Record<string, { link: string } | string> = { 'f/end': 'ok' };
    for (let i = 0; i < n; i++) e[`f/l${i}`] = { link: i === n - 1 ? 'end' : `l${i + 1}` };
    return e;
  };
  const a = layers(t, [chain(40)]);
  t.is((await readFileInRootfs(a.dirs, '/f/l0', MAX, { getxattr: a.getxattr }))?.toString(), 'ok');
  const b = layers(t, [chain(41)]);
  await t.throwsAsync(readFileInRootfs(b.dirs, '/f/l0', MAX, { getxattr: b.getxattr }), { instanceOf: InvalidContentError });
});

test('attack: a FIFO instead of a file is refused without blocking', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': 'fifo' }]);
  await t.throwsAsync(readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), { instanceOf: InvalidContentError, message: /not a regular file/ });
});

(isRoot ? test : test.skip)('attack: a device node instead of a file is refused', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': 'dir' }]);
  rmSync(join(dirs[0]!, 'etc/passwd'), { recursive: true });
  execFileSync('mknod', [join(dirs[0]!, 'etc/passwd'), 'c', '1', '3']);
  await t.throwsAsync(readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), { instanceOf: InvalidContentError, message: /not a regular file/ });
});

test('a directory is not a file', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': 'dir' }]);
  await t.throwsAsync(readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), { instanceOf: InvalidContentError, message: /directory/ });
});

test('attack: an oversized file is refused', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': 'x'.repeat(2048) }]);
  await t.throwsAsync(readFileInRootfs(dirs, '/etc/passwd', 1024, { getxattr }), { instanceOf: InvalidContentError, message: /2048 bytes/ });
  t.is((await readFileInRootfs(dirs, '/etc/passwd', 2048, { getxattr }))?.length, 2048);
});

(isRoot ? test : test.skip)('attack: a whiteout in an upper layer hides the lower passwd', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': 'whiteout' }, { 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' }]);
  t.is(await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), null);
  t.deepEqual(await readUserFiles(dirs, { getxattr }), { passwd: null, group: null });
});

(isRoot ? test : test.skip)('a whiteout of a directory hides everything under it', async (t) => {
  const { dirs, getxattr } = layers(t, [{ etc: 'whiteout' }, { 'etc/passwd': 'lower' }]);
  t.is(await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), null);
});

test('an opaque directory hides lower contents but keeps its own', async (t) => {
  const { dirs, getxattr } = layers(t, [{ etc: 'opaque', 'etc/group': 'top group' }, { 'etc/passwd': 'lower', 'etc/group': 'lower group' }]);
  t.is(await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), null);
  t.is((await readFileInRootfs(dirs, '/etc/group', MAX, { getxattr }))?.toString(), 'top group');
});

test('a non-directory in an upper layer hides a lower directory', async (t) => {
  const { dirs, getxattr } = layers(t, [{ etc: 'a file' }, { 'etc/passwd': 'lower' }]);
  t.is(await readFileInRootfs(dirs, '/etc/passwd', MAX, { getxattr }), null);
});

test('directories merge across layers; .. after a merged dir works', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'usr/a/x': 'x' }, { 'usr/b/y': 'y' }]);
  t.is((await readFileInRootfs(dirs, '/usr/a/../b/y', MAX, { getxattr }))?.toString(), 'y');
  t.is((await readFileInRootfs(dirs, '/usr/b/./../a/x', MAX, { getxattr }))?.toString(), 'x');
});

test('a path through a file is not found', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/passwd': 'p' }]);
  t.is(await readFileInRootfs(dirs, '/etc/passwd/x', MAX, { getxattr }), null);
});

test('readUserFiles reads both files', async (t) => {
  const { dirs, getxattr } = layers(t, [{ 'etc/group': 'g:x:1:\n' }, { 'etc/passwd': 'u:x:1:1::/h:/s\n' }]);
  t.deepEqual(await readUserFiles(dirs, { getxattr }), { passwd: 'u:x:1:1::/h:/s\n', group: 'g:x:1:\n' });
});
