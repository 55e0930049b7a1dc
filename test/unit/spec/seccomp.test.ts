import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidContentError, SystemError } from '../../../src/errors.js';
import { DEFAULT_CAPABILITIES } from '../../../src/spec/capabilities.js';
import { defaultSeccompProfilePath, loadSeccompProfile, parseSeccompProfile, profileArch, seccompToOci, wantsEnosysStub, type SeccompProfile } from '../../../src/spec/seccomp.js';
import type { OciSeccomp } from '../../../src/spec/oci-types.js';

const target = { bounding: [...DEFAULT_CAPABILITIES], arch: 'x64', kernelRelease: '6.1.0-18-amd64' };

function allowed(s: OciSeccomp, name: string): OciSeccomp['syscalls'] {
  return s.syscalls.filter((r) => r.names.includes(name));
}

test('the shipped default profile loads and keeps Docker\'s defaults', async (t) => {
  const p = await loadSeccompProfile(defaultSeccompProfilePath());
  t.is(p.defaultAction, 'SCMP_ACT_ERRNO');
  t.is(p.defaultErrnoRet, 1);
  const s = seccompToOci(p, target)!;
  t.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  t.is(s.defaultErrnoRet, 1);
  t.true(wantsEnosysStub(s));
});

test('default profile, default caps on amd64: dangerous calls are not allowed', async (t) => {
  const s = seccompToOci(await loadSeccompProfile(defaultSeccompProfilePath()), target)!;
  for (const name of ['keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'kexec_load', 'open_by_handle_at', 'reboot', 'init_module', 'ptrace_nope']) {
    t.deepEqual(allowed(s, name), [], name);
  }
  t.is(allowed(s, 'read')[0]!.action, 'SCMP_ACT_ALLOW');
  t.is(allowed(s, 'chroot')[0]!.action, 'SCMP_ACT_ALLOW', 'CAP_SYS_CHROOT is a default capability');
  t.is(allowed(s, 'arch_prctl').length, 1);
  t.deepEqual(allowed(s, 'cacheflush'), [], 'ARM-only');
  t.is(allowed(s, 'ptrace').length, 1, 'ptrace since 4.8');
});

test('default profile: clone may not create namespaces, clone3 answers ENOSYS', async (t) => {
  const s = seccompToOci(await loadSeccompProfile(defaultSeccompProfilePath()), target)!;
  const clone = allowed(s, 'clone');
  t.is(clone.length, 1);
  t.deepEqual(clone[0]!.args, [{ index: 0, value: 0x7e020000, op: 'SCMP_CMP_MASKED_EQ' }]);
  t.deepEqual(allowed(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
});

test('default profile: socket allows every family but AF_ALG (38) and AF_VSOCK (40)', async (t) => {
  const s = seccompToOci(await loadSeccompProfile(defaultSeccompProfilePath()), target)!;
  const rules = allowed(s, 'socket').map((r) => r.args![0]!);
  const allows = (family: number) =>
    rules.some((a) => (a.op === 'SCMP_CMP_LT' ? family < a.value : a.op === 'SCMP_CMP_EQ' ? family === a.value : a.op === 'SCMP_CMP_GT' ? family > a.value : false));
  for (const f of [1, 2, 10, 16, 17, 39, 41, 44]) t.true(allows(f), `family ${f}`);
  t.false(allows(38));
  t.false(allows(40));
});

test('default profile: personality only for the safe personas', async (t) => {
  const s = seccompToOci(await loadSeccompProfile(defaultSeccompProfilePath()), target)!;
  t.deepEqual(allowed(s, 'personality').map((r) => r.args![0]!.value).sort((a, b) => a - b), [0, 8, 131072, 131080, 4294967295]);
});

test('CAP_SYS_ADMIN in the bounding set allows mount/unshare and drops the clone restrictions', async (t) => {
  const s = seccompToOci(await loadSeccompProfile(defaultSeccompProfilePath()), { ...target, bounding: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] })!;
  t.is(allowed(s, 'mount').length, 1);
  t.is(allowed(s, 'unshare').length, 1);
  t.true(allowed(s, 'clone').every((r) => r.args === undefined));
  t.false(allowed(s, 'clone3').some((r) => r.action === 'SCMP_ACT_ERRNO'));
});

test('arm64 gets AARCH64 + ARM and the ARM-only calls, not arch_prctl', async (t) => {
  const s = seccompToOci(await loadSeccompProfile(defaultSeccompProfilePath()), { ...target, arch: 'arm64' })!;
  t.deepEqual(s.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  t.is(allowed(s, 'cacheflush').length, 1);
  t.deepEqual(allowed(s, 'arch_prctl'), []);
  t.is(profileArch('arm64'), 'arm64');
  t.is(profileArch('x64'), 'amd64');
});

test('minKernel: includes need the version, excludes skip from it', (t) => {
  const p: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['newthing'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.10' } },
      { names: ['oldthing'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '5.10' } },
    ],
  };
  t.deepEqual(seccompToOci(p, { ...target, kernelRelease: '5.4.0' })!.syscalls.map((r) => r.names[0]), ['oldthing']);
  t.deepEqual(seccompToOci(p, { ...target, kernelRelease: '5.10.1' })!.syscalls.map((r) => r.names[0]), ['newthing']);
  t.deepEqual(seccompToOci(p, { ...target, kernelRelease: '6.0' })!.syscalls.map((r) => r.names[0]), ['newthing']);
});

test('includes.caps needs every cap; excludes.caps drops on any', (t) => {
  const p: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    syscalls: [
      { names: ['both'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_CHOWN', 'CAP_SYS_TIME'] } },
      { name: 'single', action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_SYS_TIME', 'CAP_KILL'] } },
    ],
  };
  t.deepEqual(seccompToOci(p, target)!.syscalls, []);
  t.deepEqual(seccompToOci(p, { ...target, bounding: ['CAP_CHOWN'] })!.syscalls, [{ names: ['single'], action: 'SCMP_ACT_ALLOW' }]);
  t.deepEqual(seccompToOci(p, { ...target, bounding: ['CAP_CHOWN', 'CAP_SYS_TIME'] })!.syscalls.map((r) => r.names[0]), ['both']);
});

test('old-format profiles with architectures and flags pass through', (t) => {
  const s = seccompToOci({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] }, target)!;
  t.deepEqual(s, { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
  t.false(wantsEnosysStub(s));
});

test('an empty profile disables seccomp', (t) => {
  t.is(seccompToOci({ defaultAction: '' }, target), undefined);
});

test('ENOSYS stub: not when the default is already ENOSYS or permissive', (t) => {
  t.true(wantsEnosysStub({ defaultAction: 'SCMP_ACT_KILL_PROCESS', architectures: [], syscalls: [] }));
  t.false(wantsEnosysStub({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: [], syscalls: [] }));
  t.false(wantsEnosysStub({ defaultAction: 'SCMP_ACT_TRACE', architectures: [], syscalls: [] }));
  t.false(wantsEnosysStub({ defaultAction: 'SCMP_ACT_LOG', architectures: [], syscalls: [] }));
});

const invalid: [string, RegExp][] = [
  ['not json', /invalid JSON/],
  ['[]', /not a JSON object/],
  ['{}', /defaultAction is missing/],
  ['{"defaultAction":"SCMP_ACT_MAYBE"}', /unknown defaultAction/],
  ['{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":[]}]}', /both 'architectures' and 'archMap'/],
  ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}', /both 'name' and 'names'/],
  ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_NOTIFY"}]}', /unsupported action/],
  ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":9,"value":1,"op":"SCMP_CMP_EQ"}]}]}', /bad argument/],
  ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_SORTA"}]}]}', /bad argument/],
  ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"five"}}]}', /minKernel/],
];
for (const [i, [text, re]] of invalid.entries()) {
  test(`invalid profile #${i}: ${re.source}`, (t) => {
    const err = t.throws(() => parseSeccompProfile(text, 'p.json'), { instanceOf: InvalidContentError });
    t.regex(err!.message, re);
    t.regex(err!.message, /p\.json/);
  });
}

test('loadSeccompProfile: a missing file is a SystemError naming it; a user file loads', async (t) => {
  await t.throwsAsync(loadSeccompProfile('/nonexistent/profile.json'), { instanceOf: SystemError, message: /\/nonexistent\/profile\.json/ });
  const dir = mkdtempSync(join(tmpdir(), 'hutch-seccomp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'p.json'), '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["kill"],"action":"SCMP_ACT_ERRNO"}]}');
  t.is((await loadSeccompProfile(join(dir, 'p.json'))).defaultAction, 'SCMP_ACT_ALLOW');
});
