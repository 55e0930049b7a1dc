import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import test, { type ExecutionContext } from 'ava';
import { HostError, InterruptedError, InvalidContentError } from '../../../src/errors.js';
import { OCI_LAYER_GZIP } from '../../../src/image/media-types.js';
import { loadNative } from '../../../src/native/index.js';
import { makeTar } from './_tar.js';
import { LAYER_DIGEST, sandbox } from './_sandbox.js';

const native = loadNative();
const opaque = (dir: string) => native.getxattr(dir, 'user.overlay.opaque', { noFollow: true })?.toString() ?? null;

async function rejects(t: ExecutionContext, promise: Promise<unknown>, entry: RegExp | null, reason: RegExp) {
  const err = await t.throwsAsync(promise, { instanceOf: InvalidContentError });
  t.true(err!.message.includes(LAYER_DIGEST), `names the layer: ${err!.message}`);
  if (entry) t.regex(err!.message, entry);
  t.regex(err!.message, reason);
}

// --- attacks -----------------------------------------------------------------

test('`..` components are refused and nothing is written outside', async (t) => {
  const s = sandbox(t);
  await rejects(t, s.apply(makeTar([{ name: '../escape', data: 'x' }])), /entry `\.\.\/escape`/, /`\.\.`/);
  await rejects(t, s.apply(makeTar([{ name: 'a/../../sentinel/keep', data: 'x' }])), /entry `a\/\.\.\/\.\.\/sentinel\/keep`/, /`\.\.`/);
  t.false(existsSync(join(s.root, 'layer', 'escape')));
  s.assertConfined();
});

test('absolute names are made relative to the layer root, never the host', async (t) => {
  const s = sandbox(t);
  const hostPath = `/tmp/hutch-absolute-${process.pid}`;
  await s.apply(makeTar([{ name: `${hostPath}/file`, data: 'inside' }]));
  t.false(existsSync(hostPath));
  t.is(readFileSync(join(s.target, hostPath, 'file'), 'utf8'), 'inside');
  s.assertConfined();
});

test('symlink then write through it is refused (absolute symlink to the outside)', async (t) => {
  const s = sandbox(t);
  const tar = makeTar([{ name: 'a', type: '2', linkname: s.sentinel }, { name: 'a/file', data: 'evil' }]);
  await rejects(t, s.apply(tar), /entry `a\/file`/, /parent `a` is a symlink/);
  s.assertConfined();
});

test('a relative symlink deeper in the tree cannot be used as a parent either', async (t) => {
  const s = sandbox(t);
  const tar = makeTar([
    { name: 'd/', type: '5' },
    { name: 'd/l', type: '2', linkname: '../../../sentinel' },
    { name: 'd/l/x/y', data: 'evil' },
  ]);
  await rejects(t, s.apply(tar), /entry `d\/l\/x\/y`/, /parent `d\/l` is a symlink/);
  s.assertConfined();
});

test('a symlink replaced by a file is unlinked, its target is never opened', async (t) => {
  const s = sandbox(t);
  const tar = makeTar([{ name: 'a', type: '2', linkname: join(s.sentinel, 'keep') }, { name: 'a', data: 'replaced' }]);
  await s.apply(tar);
  t.true(lstatSync(join(s.target, 'a')).isFile());
  t.is(readFileSync(join(s.target, 'a'), 'utf8'), 'replaced');
  s.assertConfined();
});

test('hardlinks to outside the root are refused; absolute link names stay inside', async (t) => {
  const s = sandbox(t);
  await rejects(t, s.apply(makeTar([{ name: 'h', type: '1', linkname: '../sentinel/keep' }])), /entry `h`/, /`\.\.`/);
  // `/etc/passwd` means the layer's own etc/passwd, which does not exist: never the host's file.
  await rejects(t, s.apply(makeTar([{ name: 'h', type: '1', linkname: '/etc/passwd' }])), /entry `h`/, /does not exist/);
  t.false(existsSync(join(s.target, 'h')));
  s.assertConfined();
});

test('hardlinks through a symlink are refused (this layer and lower layers)', async (t) => {
  const s = sandbox(t);
  await rejects(t, s.apply(makeTar([{ name: 's', type: '2', linkname: s.sentinel }, { name: 'h', type: '1', linkname: 's/keep' }])), /entry `h`/, /through the symlink `s`/);
  const s2 = sandbox(t);
  const lower = s2.lower('l1');
  symlinkSync(s2.sentinel, join(lower, 'via'));
  await rejects(t, s2.apply(makeTar([{ name: 'h', type: '1', linkname: 'via/keep' }]), { lowers: [lower] }), /entry `h`/, /through the symlink `via`/);
  s.assertConfined();
  s2.assertConfined();
});

test('hardlinks to a directory are refused', async (t) => {
  const s = sandbox(t);
  await rejects(t, s.apply(makeTar([{ name: 'd/', type: '5' }, { name: 'h', type: '1', linkname: 'd' }])), /entry `h`/, /is a directory/);
  await rejects(t, s.apply(makeTar([{ name: 'h', type: '1', linkname: '.' }])), /entry `h`/, /layer root/);
  s.assertConfined();
});

test('a symlink cannot be the layer root, and the target dir itself must not be a symlink', async (t) => {
  const s = sandbox(t);
  await rejects(t, s.apply(makeTar([{ name: './', type: '2', linkname: s.sentinel }])), /entry `\.\/`/, /root must be a directory/);
  const linked = join(s.root, 'layer', 'link');
  symlinkSync(s.sentinel, linked);
  await t.throwsAsync(s.apply(makeTar([{ name: 'f', data: 'x' }]), { target: linked }), { instanceOf: HostError, message: /not a directory/ });
  t.deepEqual(readdirSync(s.sentinel), ['keep']);
});

test('malformed and traversing whiteouts are errors', async (t) => {
  const s = sandbox(t);
  for (const name of ['.wh.', '.wh..', '.wh...', 'dir/.wh.', 'dir/.wh..']) {
    await rejects(t, s.apply(makeTar([{ name }])), new RegExp(`entry \`${name.replace(/\./g, '\\.')}\``), /malformed whiteout/);
  }
  await rejects(t, s.apply(makeTar([{ name: '../.wh.keep' }])), null, /`\.\.`/);
  await rejects(t, s.apply(makeTar([{ name: 'a/../../.wh.sentinel' }])), null, /`\.\.`/);
  s.assertConfined();
});

test('a whiteout below a lower-layer symlink stays in this layer and touches nothing it points to', async (t) => {
  const s = sandbox(t);
  const lower = s.lower('l1');
  symlinkSync(s.sentinel, join(lower, 'link'));
  await s.apply(makeTar([{ name: 'link/.wh.keep' }]), { lowers: [lower] });
  t.true(lstatSync(join(s.target, 'link')).isDirectory());
  t.true(lstatSync(join(s.target, 'link', 'keep')).isCharacterDevice());
  t.true(lstatSync(join(lower, 'link')).isSymbolicLink());
  s.assertConfined();
});

test('a whiteout below a same-layer symlink is refused', async (t) => {
  const s = sandbox(t);
  await rejects(t, s.apply(makeTar([{ name: 'link', type: '2', linkname: s.sentinel }, { name: 'link/.wh.keep' }])), /entry `link\/\.wh\.keep`/, /symlink/);
  await rejects(t, s.apply(makeTar([{ name: 'link', type: '2', linkname: s.sentinel }, { name: 'link/.wh..wh..opq' }])), /entry `link\/\.wh\.\.wh\.\.opq`/, /symlink/);
  s.assertConfined();
});

test('corrupt tar headers are refused', async (t) => {
  const s = sandbox(t);
  const tar = makeTar([{ name: 'a', data: 'hello' }, { name: 'b', data: 'world' }]);
  tar[512 * 2 + 10] ^= 0xff;
  await rejects(t, s.apply(tar), null, /not a valid tar archive/);
  const s2 = sandbox(t);
  await rejects(t, s2.apply(Buffer.from('this is not a tar archive at all'.repeat(40))), null, /not a valid tar archive/);
  const s3 = sandbox(t);
  await rejects(t, s3.apply(Buffer.alloc(0)), null, /not a valid tar archive/);
});

test('a truncated tar is refused (inside a body and inside a header)', async (t) => {
  const s = sandbox(t);
  const tar = makeTar([{ name: 'big', data: Buffer.alloc(5000, 1) }, { name: 'next', data: 'x' }]);
  await rejects(t, s.apply(tar.subarray(0, 2048)), null, /not a valid tar archive: truncated: the data ends inside entry `big`/);
  const s2 = sandbox(t);
  await rejects(t, s2.apply(tar.subarray(0, 512 * 11 + 100)), null, /not a valid tar archive: truncated: the data ends inside a header/);
});

test('a layer whose uncompressed data is itself gzip is refused (its inner stream would escape the caps)', async (t) => {
  const s = sandbox(t);
  const twice = gzipSync(gzipSync(makeTar([{ name: 'a', data: 'x' }])));
  await rejects(t, s.apply(twice, { mediaType: OCI_LAYER_GZIP }), null, /doubly compressed/);
});

test('size, ratio and entry-count caps', async (t) => {
  const s = sandbox(t);
  const tar = makeTar([{ name: 'zeros', data: Buffer.alloc(64 * 1024) }]);
  await rejects(t, s.apply(tar, { limits: { maxBytes: 10_000 } }), null, /exceeds the limit of 10000 bytes/);
  await rejects(t, s.apply(gzipSync(tar), { mediaType: OCI_LAYER_GZIP, limits: { maxRatio: 200, ratioFloor: 0 } }), null, /200 times the compressed size/);
  await rejects(t, s.apply(makeTar([{ name: 'a' }, { name: 'b' }, { name: 'c' }]), { limits: { maxEntries: 2 } }), /entry `c`/, /more than 2 entries/);
  // Below the floor the ratio is not enforced: a tiny, very compressible layer is fine.
  const small = sandbox(t);
  await small.apply(gzipSync(makeTar([{ name: 'small', data: Buffer.alloc(64 * 1024) }])), { mediaType: OCI_LAYER_GZIP });
});

test('names longer than 4096 bytes are refused', async (t) => {
  const s = sandbox(t);
  const name = `${'d/'.repeat(2100)}f`;
  await rejects(t, s.apply(makeTar([{ name, data: 'x' }])), null, /longer than 4096 bytes/);
});

test('device nodes are skipped with one warning naming the layer and the count', async (t) => {
  const s = sandbox(t);
  const result = await s.apply(
    makeTar([
      { name: 'dev/', type: '5' },
      { name: 'dev/null', type: '3', devmajor: 1, devminor: 3 },
      { name: 'dev/zero', type: '3', devmajor: 1, devminor: 5 },
      { name: 'dev/sda', type: '4', devmajor: 8, devminor: 0 },
    ]),
  );
  t.is(result.warnings.length, 1);
  t.regex(result.warnings[0]!, new RegExp(`${LAYER_DIGEST}.*3 device nodes`));
  t.deepEqual(readdirSync(join(s.target, 'dev')), []);
});

test('forbidden xattrs are stripped, others kept byte-exactly (security.capability)', async (t) => {
  const s = sandbox(t);
  // VFS_CAP_REVISION_2|effective, permitted = CAP_SETFCAP|CAP_NET_BIND_SERVICE: bytes >= 0x80 that UTF-8 decoding would mangle.
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  await s.apply(
    makeTar([
      { name: 'd/', type: '5', xattrs: { 'user.overlay.opaque': 'y', 'user.keep': 'dir' } },
      {
        name: 'd/ping',
        data: 'binary',
        mode: 0o755,
        uid: 1000,
        xattrs: { 'security.capability': cap, 'trusted.overlay.redirect': '/x', 'security.selinux': 'system_u:object_r:bin_t:s0', 'user.overlay.whiteout': 'y', 'user.fuseoverlayfs.opaque': 'y', 'user.note': 'kept' },
      },
    ]),
  );
  const file = join(s.target, 'd', 'ping');
  t.deepEqual(native.getxattr(file, 'security.capability'), cap);
  t.is(native.getxattr(file, 'user.note')?.toString(), 'kept');
  const names = native.listxattr(file);
  for (const forbidden of ['trusted.overlay.redirect', 'user.overlay.whiteout', 'user.fuseoverlayfs.opaque']) t.false(names.includes(forbidden), forbidden);
  t.not(native.getxattr(file, 'security.selinux')?.toString(), 'system_u:object_r:bin_t:s0');
  t.is(opaque(join(s.target, 'd')), null, 'an image cannot mark a directory opaque through a PAX xattr');
  t.is(native.getxattr(join(s.target, 'd'), 'user.keep')?.toString(), 'dir');
  t.is(statSync(file).uid, 1000);
});

// --- correct behaviour -------------------------------------------------------

test('whiteouts become 0/0 character devices and are never visible themselves', async (t) => {
  const s = sandbox(t);
  const result = await s.apply(makeTar([{ name: 'etc/', type: '5' }, { name: 'etc/.wh.motd' }, { name: '.wh.opt' }]));
  for (const path of ['etc/motd', 'opt']) {
    const st = lstatSync(join(s.target, path));
    t.true(st.isCharacterDevice(), path);
    t.is(st.rdev, 0);
  }
  t.false(existsSync(join(s.target, 'etc', '.wh.motd')));
  t.false(existsSync(join(s.target, '.wh.opt')));
  t.is(result.entries, 3);
});

test('opaque markers set user.overlay.opaque wherever they appear; other .wh..wh. entries are ignored', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: 'a/', type: '5' }, { name: 'a/f', data: 'own' }, { name: 'a/.wh..wh..opq' }, { name: 'b/c/.wh..wh..opq' }, { name: 'a/.wh..wh.plnk' }]));
  t.is(opaque(join(s.target, 'a')), 'y');
  t.is(opaque(join(s.target, 'b', 'c')), 'y');
  t.is(readFileSync(join(s.target, 'a', 'f'), 'utf8'), 'own');
  t.deepEqual(readdirSync(join(s.target, 'a')), ['f']);
});

test('a whiteout never removes an entry of its own layer', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: 'etc/passwd', data: 'root:x:0:0' }, { name: 'etc/.wh.passwd' }, { name: 'var/lib/', type: '5' }, { name: 'var/lib/x', data: '1' }, { name: 'var/.wh.lib' }]));
  t.is(readFileSync(join(s.target, 'etc', 'passwd'), 'utf8'), 'root:x:0:0');
  // The lower var/lib is deleted, this layer's own var/lib/x stays: the directory becomes opaque.
  t.is(readFileSync(join(s.target, 'var', 'lib', 'x'), 'utf8'), '1');
  t.is(opaque(join(s.target, 'var', 'lib')), 'y');
});

test('an entry after a whiteout of the same name replaces it; a directory there is opaque', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: '.wh.f' }, { name: 'f', data: 'new' }, { name: '.wh.d' }, { name: 'd/', type: '5' }, { name: '.wh.e' }, { name: 'e/x', data: 'x' }]));
  t.true(lstatSync(join(s.target, 'f')).isFile());
  t.true(lstatSync(join(s.target, 'd')).isDirectory());
  t.is(opaque(join(s.target, 'd')), 'y');
  t.is(opaque(join(s.target, 'e')), 'y');
});

test('dir over dir keeps children and takes the new attributes; file and dir replace each other', async (t) => {
  const s = sandbox(t);
  await s.apply(
    makeTar([
      { name: 'd/', type: '5', mode: 0o755 },
      { name: 'd/child', data: 'kept' },
      { name: 'd/', type: '5', mode: 0o700, uid: 7 },
      { name: 'x/', type: '5' },
      { name: 'x/y', data: 'gone' },
      { name: 'x', data: 'file now' },
      { name: 'z', data: 'file' },
      { name: 'z/', type: '5' },
    ]),
  );
  t.is(readFileSync(join(s.target, 'd', 'child'), 'utf8'), 'kept');
  t.is(statSync(join(s.target, 'd')).mode & 0o7777, 0o700);
  t.is(statSync(join(s.target, 'd')).uid, 7);
  t.is(readFileSync(join(s.target, 'x'), 'utf8'), 'file now');
  t.true(lstatSync(join(s.target, 'z')).isDirectory());
});

test('setuid, setgid and sticky survive the chown; owners are numeric', async (t) => {
  const s = sandbox(t);
  await s.apply(
    makeTar([
      { name: 'bin/su', data: 'su', mode: 0o4755, uid: 1000, gid: 1000 },
      { name: 'bin/wall', data: 'wall', mode: 0o2755, uid: 0, gid: 5 },
      { name: 'tmp/', type: '5', mode: 0o1777 },
    ]),
  );
  const su = statSync(join(s.target, 'bin', 'su'));
  t.is(su.mode & 0o7777, 0o4755);
  t.is(su.uid, 1000);
  t.is(su.gid, 1000);
  t.is(statSync(join(s.target, 'bin', 'wall')).mode & 0o7777, 0o2755);
  t.is(statSync(join(s.target, 'tmp')).mode & 0o7777, 0o1777);
});

test('directory mtimes are set last; file and symlink mtimes kept', async (t) => {
  const s = sandbox(t);
  await s.apply(
    makeTar([
      { name: 'd/', type: '5', mtime: 1_000_000 },
      { name: 'd/f', data: 'x', mtime: 2_000_000 },
      { name: 'd/sub/', type: '5', mtime: 3_000_000 },
      { name: 'd/sub/g', data: 'y' },
      { name: 'd/l', type: '2', linkname: '/nowhere', mtime: 4_000_000 },
    ]),
  );
  t.is(statSync(join(s.target, 'd')).mtimeMs, 1_000_000_000);
  t.is(statSync(join(s.target, 'd', 'sub')).mtimeMs, 3_000_000_000);
  t.is(statSync(join(s.target, 'd', 'f')).mtimeMs, 2_000_000_000);
  t.is(lstatSync(join(s.target, 'd', 'l')).mtimeMs, 4_000_000_000);
});

test('symlinks are kept exactly, absolute ones included', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: 'abs', type: '2', linkname: '/etc/shadow' }, { name: 'rel', type: '2', linkname: '../../..' }]));
  t.is(readlinkSync(join(s.target, 'abs')), '/etc/shadow');
  t.is(readlinkSync(join(s.target, 'rel')), '../../..');
  s.assertConfined();
});

test('hardlinks within the layer share the inode; a link to a symlink links the symlink itself', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: 'a', data: 'same' }, { name: 'b', type: '1', linkname: 'a' }, { name: 's', type: '2', linkname: s.sentinel }, { name: 'h', type: '1', linkname: './s' }]));
  t.is(statSync(join(s.target, 'a')).ino, statSync(join(s.target, 'b')).ino);
  t.true(lstatSync(join(s.target, 'h')).isSymbolicLink());
  t.is(lstatSync(join(s.target, 'h')).ino, lstatSync(join(s.target, 's')).ino);
  s.assertConfined();
});

test('a hardlink to a lower-layer file is copied with owner, mode, xattrs and mtime; implicit parents copy lower attributes', async (t) => {
  const s = sandbox(t);
  const lower = s.lower('l1');
  mkdirSync(join(lower, 'bin'), { mode: 0o750 });
  writeFileSync(join(lower, 'bin', 'busybox'), 'BUSYBOX');
  native.setxattr(join(lower, 'bin', 'busybox'), 'user.origin', Buffer.from('lower'));
  const { chownSync, chmodSync, utimesSync } = await import('node:fs');
  chownSync(join(lower, 'bin', 'busybox'), 5, 6);
  chmodSync(join(lower, 'bin', 'busybox'), 0o4711);
  utimesSync(join(lower, 'bin', 'busybox'), 1_234_567, 1_234_567);
  chownSync(join(lower, 'bin'), 2, 3);
  chmodSync(join(lower, 'bin'), 0o750);
  await s.apply(makeTar([{ name: 'bin/sh', type: '1', linkname: 'bin/busybox' }]), { lowers: [lower] });
  const sh = join(s.target, 'bin', 'sh');
  const st = statSync(sh);
  t.is(readFileSync(sh, 'utf8'), 'BUSYBOX');
  t.not(st.ino, statSync(join(lower, 'bin', 'busybox')).ino);
  t.is(st.uid, 5);
  t.is(st.gid, 6);
  t.is(st.mode & 0o7777, 0o4711);
  t.is(st.mtimeMs, 1_234_567_000);
  t.is(native.getxattr(sh, 'user.origin')?.toString(), 'lower');
  const bin = statSync(join(s.target, 'bin'));
  t.is(bin.mode & 0o7777, 0o750);
  t.is(bin.uid, 2);
  s.assertConfined();
});

test('hardlink targets in lower layers honour whiteouts and opaque directories', async (t) => {
  const s = sandbox(t);
  const bottom = s.lower('bottom');
  const top = s.lower('top');
  mkdirSync(join(bottom, 'a'));
  writeFileSync(join(bottom, 'a', 'f'), 'bottom');
  writeFileSync(join(bottom, 'g'), 'bottom');
  mkdirSync(join(top, 'a'));
  native.setxattr(join(top, 'a'), 'user.overlay.opaque', Buffer.from('y'));
  const { spawnSync } = await import('node:child_process');
  spawnSync('mknod', [join(top, 'g'), 'c', '0', '0']);
  await rejects(t, s.apply(makeTar([{ name: 'h', type: '1', linkname: 'a/f' }]), { lowers: [top, bottom] }), /entry `h`/, /does not exist/);
  await rejects(t, s.apply(makeTar([{ name: 'h', type: '1', linkname: 'g' }]), { lowers: [top, bottom] }), /entry `h`/, /does not exist/);
  // This layer's own whiteout and opaque marker hide the lower targets too.
  await rejects(t, s.apply(makeTar([{ name: '.wh.g' }, { name: 'h', type: '1', linkname: 'g' }]), { lowers: [bottom] }), /entry `h`/, /does not exist/);
  const s2 = sandbox(t);
  s2.lower('unused');
  await rejects(t, s2.apply(makeTar([{ name: 'a/.wh..wh..opq' }, { name: 'h', type: '1', linkname: 'a/f' }]), { lowers: [bottom] }), /entry `h`/, /does not exist/);
  const s3 = sandbox(t);
  s3.lower('unused');
  await s3.apply(makeTar([{ name: 'h', type: '1', linkname: 'a/f' }]), { lowers: [bottom] });
  t.is(readFileSync(join(s3.target, 'h'), 'utf8'), 'bottom');
});

test('FIFOs are created with their mode', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: 'run/pipe', type: '6', mode: 0o620, uid: 3 }]));
  const st = lstatSync(join(s.target, 'run', 'pipe'));
  t.true(st.isFIFO());
  t.is(st.mode & 0o7777, 0o620);
  t.is(st.uid, 3);
});

test('an empty layer (only end-of-archive blocks) applies; long PAX names work', async (t) => {
  const s = sandbox(t);
  t.like(await s.apply(Buffer.alloc(1024)), { entries: 0, bytes: 1024, warnings: [] });
  const long = `${'long-directory-name/'.repeat(10)}file`;
  await s.apply(makeTar([{ name: long, data: 'deep' }]));
  t.is(readFileSync(join(s.target, long), 'utf8'), 'deep');
});

test('the root entry `./` sets the attributes of the layer root', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: './', type: '5', mode: 0o711, mtime: 42 }, { name: './a', data: 'x' }]));
  const st = statSync(s.target);
  t.is(st.mode & 0o7777, 0o711);
  t.is(st.mtimeMs, 42_000);
});

test('an aborted signal stops a stalled stream with InterruptedError', async (t) => {
  const s = sandbox(t);
  const controller = new AbortController();
  const source = new Readable({ read() {} });
  source.push(makeTar([{ name: 'first', data: 'x' }], { end: false }));
  const applying = s.apply(Buffer.alloc(0), { source, signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await t.throwsAsync(applying, { instanceOf: InterruptedError, message: new RegExp(LAYER_DIGEST) });
});

// --- names and whiteout names ------------------------------------------------

test('every `..` form, NUL bytes and overlong components are refused; `...` is an ordinary name', async (t) => {
  for (const name of ['..', '/..', 'a/..', 'a/../b']) {
    const s = sandbox(t);
    await rejects(t, s.apply(makeTar([{ name, data: 'x' }])), null, /`\.\.` component/);
    s.assertConfined();
  }
  const s = sandbox(t);
  await rejects(t, s.apply(makeTar([{ name: 'a', data: 'x', pax: { path: 'x\0y' } }])), null, /NUL byte/);
  await rejects(t, s.apply(makeTar([{ name: `${'n'.repeat(256)}`, data: 'x' }])), null, /component is longer than 255 bytes/);
  await s.apply(makeTar([{ name: '...', data: 'dots' }]));
  t.is(readFileSync(join(s.target, '...'), 'utf8'), 'dots');
  s.assertConfined();
});

test('whiteouts of dot names: `.wh..hidden` hides `.hidden`, `.wh....` hides `...`', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: '.wh..hidden' }, { name: '.wh....' }]));
  t.true(lstatSync(join(s.target, '.hidden')).isCharacterDevice());
  t.true(lstatSync(join(s.target, '...')).isCharacterDevice());
});

// --- tar formats the applier parses itself -----------------------------------

/** Rewrites a numeric header field of the header at `offset` and fixes the checksum. */
function patchHeader(tar: Buffer, offset: number, field: { at: number; width: number }, value: Buffer | string): Buffer {
  const out = Buffer.from(tar);
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1');
  out.fill(0, offset + field.at, offset + field.at + field.width);
  bytes.copy(out, offset + field.at);
  out.write('        ', offset + 148, 'latin1');
  let sum = 0;
  for (let i = offset; i < offset + 512; i++) sum += out[i]!;
  out.write(`${sum.toString(8).padStart(6, '0')}\0 `, offset + 148, 'latin1');
  return out;
}
const SIZE = { at: 124, width: 12 };
const UID = { at: 108, width: 8 };

test('GNU long names and long link names (L and K entries)', async (t) => {
  const s = sandbox(t);
  const dir = `${'gnu-long-directory/'.repeat(8)}`;
  const target = `${'x'.repeat(150)}/target`;
  await s.apply(
    makeTar([
      { name: `${dir}file`, data: 'deep', gnuLong: true },
      { name: `${dir}link`, type: '2', linkname: target, gnuLong: true },
      { name: 'hard', type: '1', linkname: `${dir}file`, gnuLong: true },
    ]),
  );
  t.is(readFileSync(join(s.target, dir, 'file'), 'utf8'), 'deep');
  t.is(readlinkSync(join(s.target, dir, 'link')), target);
  t.is(statSync(join(s.target, 'hard')).ino, statSync(join(s.target, dir, 'file')).ino);
});

test('PAX records: path, linkpath, uid and gid beyond octal, fractional mtime, size', async (t) => {
  const s = sandbox(t);
  const target = `/${'t'.repeat(200)}`;
  let tar = makeTar([
    { name: 'short', data: 'named by pax', pax: { path: 'renamed/by/pax', uid: '3000000', gid: '3000001', mtime: '1600000000.25' } },
    { name: 'l', type: '2', linkname: target },
    { name: 'sized', data: 'hello', pax: { size: '5' } },
  ]);
  // The header of `sized` says 0 bytes; its PAX size says 5.
  const sizedHeader = tar.indexOf(Buffer.from('sized\0')) - (tar.indexOf(Buffer.from('sized\0')) % 512);
  tar = patchHeader(tar, sizedHeader, SIZE, '00000000000\0');
  await s.apply(tar);
  const st = statSync(join(s.target, 'renamed', 'by', 'pax'));
  t.is(readFileSync(join(s.target, 'renamed', 'by', 'pax'), 'utf8'), 'named by pax');
  t.is(st.uid, 3_000_000);
  t.is(st.gid, 3_000_001);
  t.is(st.mtimeMs, 1_600_000_000_250);
  t.false(existsSync(join(s.target, 'short')));
  t.is(readlinkSync(join(s.target, 'l')), target);
  t.is(readFileSync(join(s.target, 'sized'), 'utf8'), 'hello');
});

test('GNU base-256 numbers for uid and size; a negative size is refused', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: 'big-uid', data: 'hello', uid: 5_000_000, base256: ['uid', 'size'] }]));
  t.is(statSync(join(s.target, 'big-uid')).uid, 5_000_000);
  t.is(readFileSync(join(s.target, 'big-uid'), 'utf8'), 'hello');
  const negative = patchHeader(makeTar([{ name: 'neg', data: 'x' }]), 0, SIZE, Buffer.from([0xff, ...Array(11).fill(0xff)]));
  await rejects(t, sandbox(t).apply(negative), null, /not a valid tar archive: negative size/);
  const garbage = patchHeader(makeTar([{ name: 'bad', data: 'x' }]), 0, UID, '12x4567\0');
  await rejects(t, sandbox(t).apply(garbage), null, /not a valid tar archive: malformed uid/);
});

test('a PAX global header applies to every later entry; an entry’s own records win; global path is refused', async (t) => {
  const s = sandbox(t);
  await s.apply(makeTar([{ name: '', type: 'g', pax: { uid: '42', mtime: '1000' } }, { name: 'a', data: 'a' }, { name: 'b', data: 'b', pax: { uid: '7' } }]));
  t.is(statSync(join(s.target, 'a')).uid, 42);
  t.is(statSync(join(s.target, 'a')).mtimeMs, 1_000_000);
  t.is(statSync(join(s.target, 'b')).uid, 7);
  await rejects(t, sandbox(t).apply(makeTar([{ name: '', type: 'g', pax: { path: 'everything' } }, { name: 'a', data: 'a' }])), null, /global header sets path/);
});

test('bad checksums, malformed PAX records, unknown types and huge metadata are refused', async (t) => {
  const tar = makeTar([{ name: 'a', data: 'hello' }]);
  const wrongSum = Buffer.from(tar);
  wrongSum.write('0000000\0', 148, 'latin1');
  await rejects(t, sandbox(t).apply(wrongSum), null, /not a valid tar archive: checksum failure/);
  const pax = makeTar([{ name: 'a', data: 'x', xattrs: { 'user.a': 'A' } }]);
  const broken = Buffer.from(pax);
  broken.write('99', 512, 'latin1');
  await rejects(t, sandbox(t).apply(broken), null, /malformed PAX record/);
  await rejects(t, sandbox(t).apply(makeTar([{ name: 'a', data: 'x', pax: { size: '12a' } }])), null, /malformed PAX size/);
  const sparse = patchHeader(makeTar([{ name: 's', data: 'x' }]), 0, { at: 156, width: 1 }, 'S');
  await rejects(t, sandbox(t).apply(sparse), null, /unsupported tar entry type `S`/);
  const hugeMeta = makeTar([{ name: 'a', data: 'x', pax: { comment: 'c'.repeat(1024 * 1024 + 1) } }]);
  await rejects(t, sandbox(t).apply(hugeMeta), null, /metadata entry of \d+ bytes is larger than 1048576/);
  await rejects(t, sandbox(t).apply(makeTar([{ name: 'l', type: '2', linkname: '' }])), null, /linkpath required/);
  await rejects(t, sandbox(t).apply(makeTar([{ name: 'f', data: 'x', linkname: 'other' }])), null, /linkpath forbidden/);
});

test('raw xattr bytes survive a stream cut into small pieces; bodies cross the applier’s buffers', async (t) => {
  const s = sandbox(t);
  const binary = Buffer.from([0x00, 0xff, 0x80, 0x0a, 0x3d, 0xc3]);
  const big = Buffer.alloc(1_500_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  const tar = makeTar([
    { name: 'a', data: 'x'.repeat(700), xattrs: { 'user.bin': binary, 'user.a': 'A' } },
    { name: 'dir/', type: '5' },
    { name: `${'long/'.repeat(30)}b`, data: big, xattrs: { 'user.b': 'B' } },
  ]);
  const pieces: Buffer[] = [];
  for (let i = 0; i < tar.length; i += 7) pieces.push(tar.subarray(i, Math.min(tar.length, i + 7)));
  const result = await s.apply(tar, { source: Readable.from(pieces) });
  t.is(result.entries, 3);
  t.deepEqual(native.getxattr(join(s.target, 'a'), 'user.bin'), binary);
  t.is(native.getxattr(join(s.target, 'a'), 'user.a')?.toString(), 'A');
  t.deepEqual(readFileSync(join(s.target, `${'long/'.repeat(30)}b`)), big);
  t.is(native.getxattr(join(s.target, `${'long/'.repeat(30)}b`), 'user.b')?.toString(), 'B');
});

test('the diff_id covers every byte, also what follows the end-of-archive marker', async (t) => {
  const s = sandbox(t);
  const tar = Buffer.concat([makeTar([{ name: 'a', data: 'x' }]), Buffer.from('trailing bytes after the archive')]);
  const result = await s.apply(tar);
  t.is(result.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
  t.is(result.bytes, tar.length);
});

test('an xattr on a symlink entry never lands on what the symlink points to', async (t) => {
  const s = sandbox(t);
  const result = await s.apply(makeTar([{ name: 'l', type: '2', linkname: join(s.sentinel, 'keep'), xattrs: { 'user.evil': 'x' } }]));
  t.is(native.getxattr(join(s.sentinel, 'keep'), 'user.evil'), null);
  // user.* cannot be set on a symlink (EPERM): one warning, naming the entry.
  t.deepEqual(result.warnings, [`layer ${LAYER_DIGEST}: could not set xattr user.evil on \`l\` (a symlink): EPERM`]);
  s.assertConfined();
});
