// `hutch run` process security seen from inside: capability sets, seccomp,
// no_new_privs, inherited fds, masked and read-only paths, denied mounts.
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { installedHutch } from '../helpers/installed-cli.js';
import { capabilityNames, parseReport, type ReporterProbe, type ReporterReport } from '../helpers/reporter.js';
import { prepareRunImage, report, runIn, type RunImage } from '../helpers/run-image.js';
import { makeTestUserDir, switchesUser, testUser } from '../helpers/test-user.js';

const test = anyTest as TestFn<{ image: RunImage }>;

const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
  'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
].sort();
const MASKED_FILES = ['/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug', '/proc/timer_list', '/proc/timer_stats', '/proc/interrupts'];
const MASKED_DIRS = ['/proc/acpi', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap'];
const READONLY_PATHS = ['/proc/sys/kernel/hostname', '/proc/sysrq-trigger', '/proc/sys/vm/overcommit_memory', '/proc/irq/default_smp_affinity'];

interface Listing {
  path: string;
  entries?: string[];
  content?: string;
  result?: number;
  errno?: string | null;
}

function caps(report: ReporterReport): Record<keyof ReporterReport['caps'], string[]> {
  const c = report.caps;
  return { inh: capabilityNames(c.inh), prm: capabilityNames(c.prm), eff: capabilityNames(c.eff), bnd: capabilityNames(c.bnd), amb: capabilityNames(c.amb) };
}

/** Runs the reporter once per probe in a single container (one shell) and parses each line. */
async function probes<T>(image: RunImage, flags: string[], commands: string[][]): Promise<T[]> {
  const script = commands.map((c) => `/bin/reporter ${c.map((a) => `'${a}'`).join(' ')}`).join('; ');
  const result = await runIn(image, flags, ['sh', '-c', script]);
  if (result.exitCode !== 0) throw new Error(`probes exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout.trim().split('\n').map((line) => parseReport<T>(line));
}

test.before(async (t) => {
  t.context.image = await prepareRunImage();
});

test.after.always(async (t) => {
  await t.context.image?.remove();
});

test('root in the container gets podman\'s default capability set', async (t) => {
  const sets = caps(await report<ReporterReport>(t.context.image, [], ['caps']));
  t.deepEqual(sets.bnd, DEFAULT_CAPS);
  t.deepEqual(sets.eff, DEFAULT_CAPS);
  t.deepEqual(sets.prm, DEFAULT_CAPS);
  t.deepEqual(sets.inh, []);
  t.deepEqual(sets.amb, []);
});

test('--cap-add NET_RAW adds it to the bounding, effective and permitted sets', async (t) => {
  const sets = caps(await report<ReporterReport>(t.context.image, ['--cap-add', 'NET_RAW'], ['caps']));
  const expected = [...DEFAULT_CAPS, 'CAP_NET_RAW'].sort();
  t.deepEqual(sets.bnd, expected);
  t.deepEqual(sets.eff, expected);
  t.deepEqual(sets.prm, expected);
});

test('--cap-drop ALL leaves every set empty', async (t) => {
  const sets = caps(await report<ReporterReport>(t.context.image, ['--cap-drop', 'ALL'], ['caps']));
  t.deepEqual(sets, { inh: [], prm: [], eff: [], bnd: [], amb: [] });
});

test('--cap-drop of one capability removes it everywhere', async (t) => {
  const sets = caps(await report<ReporterReport>(t.context.image, ['--cap-drop', 'chown'], ['caps']));
  const expected = DEFAULT_CAPS.filter((c) => c !== 'CAP_CHOWN');
  t.deepEqual(sets.bnd, expected);
  t.deepEqual(sets.eff, expected);
});

test('a non-root user has no effective or permitted capabilities', async (t) => {
  const report1000 = await report<ReporterReport>(t.context.image, ['-u', '1000'], ['all']);
  t.is(report1000.uid, 1000);
  const sets = caps(report1000);
  t.deepEqual(sets.eff, []);
  t.deepEqual(sets.prm, []);
  t.deepEqual(sets.inh, []);
  t.deepEqual(sets.amb, []);
  t.deepEqual(sets.bnd, DEFAULT_CAPS);
});

test('a non-root user gets a capability named with --cap-add', async (t) => {
  const sets = caps(await report<ReporterReport>(t.context.image, ['-u', '1000', '--cap-add', 'NET_BIND_SERVICE'], ['caps']));
  t.deepEqual(sets.eff, ['CAP_NET_BIND_SERVICE']);
  t.deepEqual(sets.prm, ['CAP_NET_BIND_SERVICE']);
  t.deepEqual(sets.amb, ['CAP_NET_BIND_SERVICE']);
});

test('seccomp filter mode and no_new_privs are on by default', async (t) => {
  const security = await report<ReporterReport>(t.context.image, [], ['security']);
  t.is(security.seccomp, '2');
  t.is(security.NoNewPrivs, '1');
  t.is(security.no_new_privs, 1);
});

test('syscalls outside the profile fail with EPERM, newer unknown ones with ENOSYS', async (t) => {
  const results = await probes<ReporterProbe>(t.context.image, [], [
    ['syscall', 'keyctl'], ['syscall', 'bpf'], ['syscall', 'perf_event_open'], ['syscall', 'userfaultfd'], ['syscall', '1000'],
  ]);
  t.deepEqual(results.map((r) => [r.syscall, r.result, r.errno]), [
    ['keyctl', -1, 'EPERM'], ['bpf', -1, 'EPERM'], ['perf_event_open', -1, 'EPERM'], ['userfaultfd', -1, 'EPERM'], ['1000', -1, 'ENOSYS'],
  ]);
});

test('mount, unshare and pivot_root are denied', async (t) => {
  const results = await probes<ReporterProbe>(t.context.image, [], [['syscall', 'mount'], ['syscall', 'unshare'], ['syscall', 'pivot_root']]);
  for (const r of results) {
    t.is(r.result, -1, `${r.syscall} succeeded`);
    t.is(r.errno, 'EPERM', `${r.syscall}`);
  }
  const shell = await runIn(t.context.image, [], ['sh', '-c', 'mount -t tmpfs none /tmp && echo mounted; unshare -m true && echo unshared; exit 0']);
  t.notRegex(shell.stdout, /mounted|unshared/);
});

test('--security-opt seccomp=unconfined loads no filter', async (t) => {
  const security = await report<ReporterReport>(t.context.image, ['--security-opt', 'seccomp=unconfined'], ['security']);
  t.is(security.seccomp, '0');
  t.is(security.NoNewPrivs, '1');
  const [probe] = await probes<ReporterProbe>(t.context.image, ['--security-opt', 'seccomp=unconfined'], [['syscall', '1000']]);
  t.is(probe?.errno, 'ENOSYS');
});

test('--security-opt seccomp=PROFILE.json applies that profile', async (t) => {
  const dir = await makeTestUserDir('hutch-e2e-seccomp-');
  const profile = join(dir, 'profile.json');
  // Allows everything but keyctl, which gets EACCES: an errno the default profile never uses.
  await writeFile(profile, JSON.stringify({
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['keyctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
  }));
  const [probe] = await probes<ReporterProbe>(t.context.image, ['--security-opt', `seccomp=${profile}`], [['syscall', 'keyctl']]);
  t.is(probe?.errno, 'EACCES');
});

test('--security-opt no-new-privileges=false turns no_new_privs off', async (t) => {
  const security = await report<ReporterReport>(t.context.image, ['--security-opt', 'no-new-privileges=false'], ['security']);
  t.is(security.no_new_privs, 0);
  t.is(security.seccomp, '2');
});

test('the container process has exactly fds 0, 1 and 2', async (t) => {
  const { fds } = await report<ReporterReport>(t.context.image, [], ['fds']);
  t.deepEqual(fds.map((f) => f.fd), [0, 1, 2]);
});

test('an fd leaked by the caller of hutch does not reach the container', async (t) => {
  const dir = await makeTestUserDir('hutch-e2e-leak-');
  const leakedPath = join(dir, 'leaked');
  await writeFile(leakedPath, 'secret');
  const handle = await open(leakedPath, 'r');
  t.teardown(() => handle.close());
  const user = testUser();
  const bin = await installedHutch();
  const { image } = t.context;
  // node:child_process passes a raw descriptor at index 5 of stdio (execa's types accept no plain fd there).
  const spawnWithFd5 = (command: string, args: string[]) => new Promise<{ exitCode: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const [file, argv] = switchesUser()
      ? ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', command, ...args]]
      : [command, args];
    const child = spawn(file, argv, {
      env: { HOME: user.home, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' },
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', handle.fd],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
  // Control: the leaked descriptor really is open in the process that runs hutch.
  const control = await spawnWithFd5('readlink', ['/proc/self/fd/5']);
  t.is(control.stdout.trim(), leakedPath);
  const result = await spawnWithFd5(bin, ['--root', image.store.root, '--runroot', image.store.runroot, 'run', '--rm', image.ref, '/bin/reporter', 'fds']);
  t.is(result.exitCode, 0, result.stderr);
  const { fds } = parseReport<ReporterReport>(result.stdout);
  t.deepEqual(fds.map((f) => f.fd), [0, 1, 2]);
  t.false(fds.some((f) => f.target.includes('leaked')));
});

test('masked paths are empty inside', async (t) => {
  const present = [...MASKED_FILES, ...MASKED_DIRS].filter((p) => existsSync(p));
  t.true(present.length >= 3, `too few masked paths exist on this host to test: ${present.join(' ')}`);
  const commands = present.map((p) => (statSync(p).isDirectory() ? ['ls', p] : ['cat', p]));
  const results = await probes<Listing>(t.context.image, [], commands);
  results.forEach((r, i) => {
    const path = present[i];
    if (r.entries !== undefined) t.deepEqual(r.entries, [], `${path} lists entries`);
    else if (r.content !== undefined) t.is(r.content, '', `${path} has content`);
    else t.fail(`${path} cannot be read: ${r.errno}`);
  });
});

test('read-only paths and /proc/sys cannot be written', async (t) => {
  const present = READONLY_PATHS.filter((p) => existsSync(p));
  t.true(present.includes('/proc/sys/kernel/hostname'));
  const results = await probes<ReporterProbe>(t.context.image, [], present.map((p) => ['write', p, '1']));
  results.forEach((r, i) => {
    t.is(r.result, -1, `${present[i]} was writable`);
    t.true(['EROFS', 'EACCES', 'EPERM'].includes(r.errno ?? ''), `${present[i]}: ${r.errno}`);
  });
  const sysctl = await runIn(t.context.image, [], ['sh', '-c', 'echo hacked > /proc/sys/kernel/hostname; hostname']);
  t.not(sysctl.stdout.trim(), 'hacked');
});

test('/sys is read-only', async (t) => {
  const [probe] = await probes<ReporterProbe>(t.context.image, [], [['write', '/sys/kernel/new-file', 'x']]);
  t.is(probe?.result, -1);
});

test('--ulimit sets the soft and hard limits', async (t) => {
  const result = await runIn(t.context.image, ['--ulimit', 'nofile=100:200'], ['sh', '-c', 'grep "Max open files" /proc/self/limits']);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /Max open files\s+100\s+200\s/);
});
