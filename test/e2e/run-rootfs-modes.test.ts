// The three ways a container's root is built (kernel overlayfs, fuse-overlayfs,
// a copy), each forced with HUTCH_ROOTFS_MODE and run as the unprivileged test
// user: the layers show as the image defines them (whiteouts, opaque
// directories, owners, hardlinks), writes land in the container's own
// directory and never in the store, and `rm` leaves nothing (no fuse daemon).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { buildImage, writeOciLayout } from '../helpers/image-builder.js';
import { hutch, makeStore, type HutchStore } from '../helpers/installed-cli.js';
import { runImageEntries } from '../helpers/run-image.js';
import { makeTestUserDir, switchesUser } from '../helpers/test-user.js';

interface Context {
  store: HutchStore;
  ref: string;
  layoutDir: string;
}

const test = anyTest as TestFn<Context>;
const MODES = ['overlay', 'fuse-overlayfs', 'copy'] as const;

// What the merged root must show: layer 2 deletes /etc/gone (whiteout) and
// makes /opq opaque (its lower content hidden, its own file kept).
const PROBE = [
  'cat /etc/motd /etc/layer2',
  'test -e /etc/gone && echo gone-visible || echo gone-absent',
  'ls /opq',
  'stat -c owned=%u:%g /home/user/owned',
  'stat -c links=%h /data/a',
  'cat /data/b',
].join('; ');

test.before(async (t) => {
  // Distributions create /dev/fuse with mode 0666; a fuse-overlayfs root needs that (CI sets it, as root here).
  if (switchesUser() && existsSync('/dev/fuse')) await chmod('/dev/fuse', 0o666);
  const base = await runImageEntries();
  const image = await buildImage({
    layers: [
      {
        compression: 'gzip',
        entries: [
          ...base,
          { type: 'file', path: 'etc/gone', content: 'deleted by layer 2\n' },
          { type: 'dir', path: 'opq', mode: 0o755 },
          { type: 'file', path: 'opq/old', content: 'hidden by layer 2\n' },
          { type: 'file', path: 'data/a', content: 'linked\n', xattrs: { 'user.hutch': 'kept' } },
          { type: 'hardlink', path: 'data/b', target: 'data/a' },
        ],
      },
      {
        compression: 'gzip',
        entries: [
          { type: 'whiteout', path: 'etc/gone' },
          { type: 'opaque', path: 'opq' },
          { type: 'file', path: 'opq/new', content: 'layer 2\n' },
          { type: 'file', path: 'etc/layer2', content: 'from layer 2\n' },
        ],
      },
    ],
    config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
  });
  const layoutDir = await makeTestUserDir('hutch-e2e-rootfs-image-');
  await writeOciLayout(layoutDir, image, 'latest');
  const store = await makeStore();
  const pulled = await hutch(['pull', '--quiet', `oci:${layoutDir}:latest`], { store, timeout: 120_000 });
  if (pulled.exitCode !== 0) throw new Error(`pull failed: ${pulled.stderr}`);
  t.context = { store, layoutDir, ref: image.configDigest.slice(7, 19) };
});

test.after.always(async (t) => {
  await t.context.store?.remove();
  if (t.context.layoutDir) await rm(t.context.layoutDir, { recursive: true, force: true });
});

function withMode(mode: string) {
  return { HUTCH_ROOTFS_MODE: mode };
}

/** Every stored copy of /etc/motd, to prove that no container wrote into a layer. */
function storedMotds(store: HutchStore): string[] {
  const layers = join(store.root, 'layers');
  return readdirSync(layers)
    .map((l) => join(layers, l, 'diff', 'etc', 'motd'))
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p, 'utf8'));
}

/** Live fuse-overlayfs processes serving container `id` (their upperdir option names it). */
function fuseDaemonsOf(id: string): string[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const zombie = /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return cmdline.startsWith('/usr/bin/fuse-overlayfs ') && cmdline.includes(id) && !zombie ? [`${pid}: ${cmdline}`] : [];
    } catch {
      return [];
    }
  });
}

for (const mode of MODES) {
  test.serial(`${mode}: lower files, whiteouts, opaque dirs, owners and hardlinks show as the image defines them`, async (t) => {
    const { store, ref } = t.context;
    const result = await hutch(['run', '--rm', ref, 'sh', '-c', PROBE], { store, env: withMode(mode), timeout: 60_000 });
    t.is(result.exitCode, 0, result.stderr);
    t.is(result.stdout, 'original motd\nfrom layer 2\ngone-absent\nnew\nowned=1000:1000\nlinks=2\nlinked\n');
  });

  test.serial(`${mode}: writes land in the container's own directory, never in a layer; inspect names the mode; rm removes everything`, async (t) => {
    const { store, ref } = t.context;
    const name = `w-${mode}`;
    const run = await hutch(['run', '--name', name, ref, 'sh', '-c', 'echo changed > /etc/motd; rm /etc/layer2; touch /opq/added'], { store, env: withMode(mode), timeout: 60_000 });
    t.is(run.exitCode, 0, run.stderr);
    t.deepEqual(storedMotds(store), ['original motd\n']);
    const inspect = await hutch(['inspect', name], { store });
    const [doc] = JSON.parse(inspect.stdout) as [{ Id: string; RootfsMode: string; GraphDriver: { Name: string; Data: Record<string, string> } }];
    t.is(doc!.RootfsMode, mode);
    const dir = join(store.root, 'containers', doc!.Id);
    if (mode === 'copy') {
      t.is(doc!.GraphDriver.Name, 'vfs');
      t.is(await readFile(join(dir, 'rootfs', 'etc', 'motd'), 'utf8'), 'changed\n');
      t.false(existsSync(join(dir, 'rootfs', 'etc', 'layer2')));
    } else {
      t.is(doc!.GraphDriver.Name, 'overlay');
      t.is<string | undefined, string | undefined>(doc!.GraphDriver.Data.MountProgram, mode === 'fuse-overlayfs' ? '/usr/bin/fuse-overlayfs' : undefined);
      t.is(await readFile(join(dir, 'upper', 'etc', 'motd'), 'utf8'), 'changed\n');
      const whiteout = await stat(join(dir, 'upper', 'etc', 'layer2'));
      t.true(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'a deletion is an overlay whiteout in the upper dir');
    }
    // The container keeps its mode: a restart under another setting still sees its own root.
    const again = await hutch(['start', '-a', name], { store, env: withMode(mode === 'copy' ? 'overlay' : 'copy'), timeout: 60_000 });
    t.is(again.exitCode, 0, again.stderr);
    // cp from the stopped container mounts its root the same way (or, for a copy, uses it as it is).
    const out = await makeTestUserDir('hutch-e2e-rootfs-cp-');
    t.teardown(() => rm(out, { recursive: true, force: true }));
    const copied = await hutch(['cp', `${name}:/etc/motd`, out], { store });
    t.is(copied.exitCode, 0, copied.stderr);
    t.is(await readFile(join(out, 'motd'), 'utf8'), 'changed\n');
    const removed = await hutch(['rm', name], { store });
    t.is(removed.exitCode, 0, removed.stderr);
    t.false(existsSync(dir));
    t.deepEqual(fuseDaemonsOf(doc!.Id), []);
  });

  test.serial(`${mode}: a running container's root serves exec and cp, and rm -f ends it and its daemon`, async (t) => {
    const { store, ref } = t.context;
    const name = `d-${mode}`;
    const started = await hutch(['run', '-d', '--name', name, ref, 'sleep', '300'], { store, env: withMode(mode), timeout: 60_000 });
    t.is(started.exitCode, 0, started.stderr);
    const id = started.stdout.trim();
    const exec = await hutch(['exec', name, 'sh', '-c', 'cat /etc/layer2; ls /opq'], { store });
    t.is(exec.stdout, 'from layer 2\nnew\n', exec.stderr);
    t.is(fuseDaemonsOf(id).length, mode === 'fuse-overlayfs' ? 1 : 0, 'one fuse-overlayfs serves a fuse-overlayfs container');
    const removed = await hutch(['rm', '-f', name], { store, timeout: 60_000 });
    t.is(removed.exitCode, 0, removed.stderr);
    t.deepEqual(fuseDaemonsOf(id), []);
    t.false(existsSync(join(store.root, 'containers', id)));
  });
}

// --rm: the upper dir is deleted at exit, so it need not be synced at
// unmount (a syncfs of the whole filesystem under the store); a container
// that is kept must still be durable.
test.serial('overlay: a --rm container\'s root is mounted volatile, a kept container\'s is not', async (t) => {
  const { store, ref } = t.context;
  const removed = await hutch(['run', '--rm', ref, 'head', '-1', '/proc/self/mountinfo'], { store, env: withMode('overlay'), timeout: 60_000 });
  t.is(removed.exitCode, 0, removed.stderr);
  t.regex(removed.stdout, / \/ \/ .* - overlay overlay .*\bvolatile\b/);
  const kept = await hutch(['run', '--name', 'kept-durable', ref, 'head', '-1', '/proc/self/mountinfo'], { store, env: withMode('overlay'), timeout: 60_000 });
  t.teardown(() => hutch(['rm', '-f', 'kept-durable'], { store }));
  t.is(kept.exitCode, 0, kept.stderr);
  t.regex(kept.stdout, / \/ \/ .* - overlay overlay /);
  t.notRegex(kept.stdout, /\bvolatile\b/);
});

test.serial('fuse-overlayfs: the daemon runs outside the container: its pid namespace shows only the container\'s processes', async (t) => {
  const { store, ref } = t.context;
  const result = await hutch(['run', '--rm', ref, 'sh', '-c', 'ps -o comm; head -1 /proc/self/mountinfo'], { store, env: withMode('fuse-overlayfs'), timeout: 60_000 });
  t.is(result.exitCode, 0, result.stderr);
  t.notRegex(result.stdout, /fuse-overlayfs\n/);
  t.regex(result.stdout, / \/ \/ rw,noatime - fuse\.fuse-overlayfs fuse-overlayfs /);
});

test.serial('the copy keeps xattrs and drops overlay markers; the store keeps its own', async (t) => {
  const { store, ref } = t.context;
  const name = 'xattr-copy';
  const run = await hutch(['create', '--name', name, ref, 'true'], { store, env: withMode('copy') });
  t.is(run.exitCode, 0, run.stderr);
  const id = run.stdout.trim();
  t.teardown(() => hutch(['rm', '-f', name], { store }));
  const { loadNative } = await import('../../src/native/index.js');
  const native = loadNative();
  const root = join(store.root, 'containers', id, 'rootfs');
  t.is(native.getxattr(join(root, 'data', 'a'), 'user.hutch', { noFollow: true })?.toString(), 'kept');
  t.is(native.getxattr(join(root, 'opq'), 'user.overlay.opaque', { noFollow: true }), null);
  t.deepEqual(readdirSync(join(root, 'opq')), ['new']);
  const base = readdirSync(join(store.root, 'layers')).find((l) => existsSync(join(store.root, 'layers', l, 'diff', 'home')));
  t.is((await stat(join(root, 'home', 'user', 'owned'))).uid, (await stat(join(store.root, 'layers', base ?? '', 'diff', 'home', 'user', 'owned'))).uid);
});

test.serial('a bad setting or a missing fuse-overlayfs is refused before anything is created', async (t) => {
  const { store, ref } = t.context;
  const before = (await hutch(['ps', '-a', '-q'], { store })).stdout;
  const bad = await hutch(['run', '--rm', ref, 'true'], { store, env: withMode('vfs') });
  t.is(bad.exitCode, 125);
  t.regex(bad.stderr, /HUTCH_ROOTFS_MODE=vfs: not a rootfs mode/);
  const missing = await hutch(['--storage-opt', 'overlay.mount_program=/nonexistent/fuse-overlayfs', 'run', '--rm', ref, 'true'], { store });
  t.is(missing.exitCode, 125);
  t.regex(missing.stderr, /--storage-opt overlay\.mount_program=\/nonexistent\/fuse-overlayfs asks for fuse-overlayfs, but \/nonexistent\/fuse-overlayfs is not an executable file/);
  const ps = await hutch(['ps', '-a', '-q'], { store });
  t.is(ps.stdout, before);
});

test.serial('--storage-opt overlay.mount_program selects fuse-overlayfs like podman\'s option', async (t) => {
  const { store, ref } = t.context;
  const result = await hutch(['--storage-opt', 'overlay.mount_program=/usr/bin/fuse-overlayfs', 'run', '--rm', ref, 'head', '-1', '/proc/self/mountinfo'], { store });
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /fuse\.fuse-overlayfs/);
});

test.serial('automatic selection uses what `hutch info` reports, and info says why', async (t) => {
  const { store, ref } = t.context;
  const info = await hutch(['info', '--format', 'json'], { store });
  const report = JSON.parse(info.stdout) as { runtime: { rootfsMode: string; rootfsReason: string; fuseOverlayfs: { path: string | null; mount: { ok: boolean } | null } } };
  t.is(report.runtime.fuseOverlayfs.path, '/usr/bin/fuse-overlayfs');
  t.deepEqual(report.runtime.fuseOverlayfs.mount, { ok: true });
  const created = await hutch(['create', ref, 'true'], { store });
  t.is(created.exitCode, 0, created.stderr);
  const id = created.stdout.trim();
  t.teardown(() => hutch(['rm', '-f', id], { store }));
  const [doc] = JSON.parse((await hutch(['inspect', id], { store })).stdout) as [{ RootfsMode: string }];
  t.is(doc!.RootfsMode, report.runtime.rootfsMode);
  const text = await hutch(['info'], { store, env: withMode('copy') });
  t.regex(text.stdout, /rootfs mode: +copy \(set by HUTCH_ROOTFS_MODE=copy\)/);
  t.regex(text.stdout, /fuse-overlayfs: +\/usr\/bin\/fuse-overlayfs, FUSE mounts in a user namespace/);
});
