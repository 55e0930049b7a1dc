import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeResult } from '../../../src/native/addon-types.js';
import { loadNative } from '../../../src/native/index.js';

const native = loadNative();
const addonPath = fileURLToPath(new URL('../../../build/Release/hutch.node', import.meta.url));

function sysctl(name: string): number | undefined {
  try {
    return Number(readFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

// What the kernel settings say an unprivileged user namespace probe must find.
const unprivilegedUsernsAllowed =
  (sysctl('user.max_user_namespaces') ?? 1) > 0 &&
  sysctl('kernel.unprivileged_userns_clone') !== 0 &&
  sysctl('kernel.apparmor_restrict_unprivileged_userns') !== 1;

function childrenOfSelf(): string[] {
  return readdirSync('/proc/self/task').flatMap((task) =>
    readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean),
  );
}

function overlayDirs(owner?: number): { root: string; dirs: [string, string, string, string] } {
  const root = mkdtempSync(join(tmpdir(), 'hutch-probe-'));
  const dirs = ['lower', 'upper', 'work', 'merged'].map((d) => join(root, d)) as [string, string, string, string];
  for (const d of dirs) mkdirSync(d);
  if (owner !== undefined) for (const d of [root, ...dirs]) chownSync(d, owner, owner);
  return { root, dirs };
}

function assertShape(t: import('ava').ExecutionContext, r: ProbeResult): void {
  t.is(typeof r.ok, 'boolean');
  if (r.ok) {
    t.is(r.syscall, undefined);
  } else {
    t.is(typeof r.syscall, 'string');
    t.is(typeof r.errno, 'number');
    t.regex(r.code ?? '', /^E[A-Z0-9]+$/);
  }
}

test('probeUserNamespace answers with a boolean and leaves no child behind', (t) => {
  const children = childrenOfSelf();
  const r = native.probeUserNamespace();
  assertShape(t, r);
  t.true(r.ok || r.syscall === 'unshare CLONE_NEWUSER');
  if (unprivilegedUsernsAllowed) t.true(r.ok);
  t.deepEqual(childrenOfSelf(), children);
});

test('probeOverlayInUserNamespace mounts overlay in a private namespace and leaves no mount', (t) => {
  const before = readFileSync('/proc/self/mountinfo', 'utf8');
  const children = childrenOfSelf();
  const { root, dirs } = overlayDirs();
  try {
    const r = native.probeOverlayInUserNamespace(...dirs);
    assertShape(t, r);
    if (unprivilegedUsernsAllowed) t.deepEqual(r, { ok: true });
    t.is(readFileSync('/proc/self/mountinfo', 'utf8'), before);
    t.deepEqual(childrenOfSelf(), children);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a failing overlay probe names the step and the errno', (t) => {
  const { root, dirs } = overlayDirs();
  try {
    const r = native.probeOverlayInUserNamespace(join(root, 'missing'), dirs[1], dirs[2], dirs[3]);
    t.false(r.ok);
    if (unprivilegedUsernsAllowed) t.like(r, { ok: false, syscall: 'mount overlay', errno: 2, code: 'ENOENT' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('probeSeccomp reports the libseccomp version and installs a filter in a child only', (t) => {
  const r = native.probeSeccomp();
  assertShape(t, r);
  const haveLib = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64'].some(
    (d) => existsSync(join(d, 'libseccomp.so.2')),
  );
  if (haveLib) {
    t.regex(r.libseccompVersion ?? '', /^\d+\.\d+\.\d+$/);
    t.true(r.ok);
  } else {
    t.like(r, { ok: false, syscall: 'dlopen libseccomp.so.2', code: 'ENOENT' });
  }
  // The filter went into the child: this process is still unfiltered.
  t.regex(readFileSync('/proc/self/status', 'utf8'), /^Seccomp:\s+0$/m);
  t.regex(readFileSync('/proc/self/status', 'utf8'), /^NoNewPrivs:\s+0$/m);
});

const asTestUser = process.getuid?.() === 0 && existsSync('/usr/sbin/runuser') && /^hutch-test:/m.test(readFileSync('/etc/passwd', 'utf8'));

(asTestUser ? test : test.skip)('probes work for an unprivileged user (runuser hutch-test)', (t) => {
  const uid = Number(execFileSync('id', ['-u', 'hutch-test'], { encoding: 'utf8' }).trim());
  const { root, dirs } = overlayDirs(uid);
  const script = join(root, 'probe.cjs');
  writeFileSync(
    script,
    `const n = require(${JSON.stringify(addonPath)});
     const [l, u, w, m] = ${JSON.stringify(dirs)};
     console.log(JSON.stringify({
       uid: process.getuid(),
       userns: n.probeUserNamespace(),
       overlay: n.probeOverlayInUserNamespace(l, u, w, m),
       missing: n.probeOverlayInUserNamespace(l + '-missing', u, w, m),
       seccomp: n.probeSeccomp(),
     }));`,
  );
  chmodSync(script, 0o644);
  try {
    const out = JSON.parse(execFileSync('runuser', ['-u', 'hutch-test', '--', process.execPath, script], { encoding: 'utf8' }));
    t.is(out.uid, uid);
    t.not(out.uid, 0);
    for (const r of [out.userns, out.overlay, out.missing, out.seccomp]) assertShape(t, r);
    if (unprivilegedUsernsAllowed) {
      t.true(out.userns.ok);
      t.true(out.overlay.ok);
      t.like(out.missing, { ok: false, syscall: 'mount overlay', code: 'ENOENT' });
    } else {
      t.like(out.userns, { ok: false, syscall: 'unshare CLONE_NEWUSER' });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
