import test from 'ava';
import { UsageError } from '../../../src/errors.js';
import {
  applyEnvEntry,
  parseAnnotation,
  parseEntrypoint,
  parseEnvFile,
  parseMount,
  parseRunOptions,
  parseSecurityOpt,
  parseTmpfs,
  parseUlimit,
  parseVolume,
  validateHostname,
  validateName,
  type ParseContext,
} from '../../../src/spec/run-options.js';

const hostEnv = { HOME: '/home/me', LANG: 'C.UTF-8', LC_ALL: 'C', LC_TIME: 'en_GB' };

function ctx(files: Record<string, string> = {}): ParseContext {
  return {
    hostEnv,
    cwd: '/work/proj',
    readTextFile: async (p) => {
      const text = files[p];
      if (text === undefined) throw new Error(`no file ${p}`);
      return text;
    },
  };
}

const envCases: [string, Record<string, string>][] = [
  ['A=1', { A: '1' }],
  ['A=', { A: '' }],
  ['A=b=c', { A: 'b=c' }],
  ['HOME', { HOME: '/home/me' }],
  ['MISSING', {}],
  ['LC_*', { LC_ALL: 'C', LC_TIME: 'en_GB' }],
];
for (const [entry, expected] of envCases) {
  test(`-e ${entry}`, (t) => {
    const env: Record<string, string> = {};
    applyEnvEntry(env, entry, hostEnv, '--env');
    t.deepEqual(env, expected);
  });
}

test('-e with an empty name is a usage error naming the flag', (t) => {
  const err = t.throws(() => applyEnvEntry({}, '=x', hostEnv, '--env'), { instanceOf: UsageError });
  t.regex(err!.message, /--env "=x"/);
});

test('--env-file: comments, blank lines, leading blanks, host pass-through, values kept verbatim', (t) => {
  const text = '# comment\n\n  A=1\nB="quoted"\nLANG\nNOPE\r\nC=x # not a comment\n';
  t.deepEqual(parseEnvFile(text, hostEnv, '/f'), { A: '1', B: '"quoted"', LANG: 'C.UTF-8', C: 'x # not a comment' });
});

test('-e overrides --env-file, later -e wins', async (t) => {
  const opts = await parseRunOptions({ envFile: ['vars.env'], env: ['A=2', 'B=1', 'B=3'] }, [], ctx({ '/work/proj/vars.env': 'A=1\nZ=9\n' }));
  t.deepEqual(opts.env, { A: '2', Z: '9', B: '3' });
});

test('--entrypoint: JSON array or a single string; "" gives [""]', (t) => {
  t.deepEqual(parseEntrypoint('["/bin/sh","-c"]'), ['/bin/sh', '-c']);
  t.deepEqual(parseEntrypoint('/bin/sh -c'), ['/bin/sh -c']);
  t.deepEqual(parseEntrypoint(''), ['']);
  t.deepEqual(parseEntrypoint('[]'), []);
  t.deepEqual(parseEntrypoint('[1,2]'), ['[1,2]']);
});

const volumeOk: [string, { source: string; destination: string; options: string[] }][] = [
  ['/h:/c', { source: '/h', destination: '/c', options: [] }],
  ['/h/:/c/:ro', { source: '/h', destination: '/c', options: ['ro'] }],
  ['/h:/c:rw,z', { source: '/h', destination: '/c', options: ['rw'] }],
  ['/h:/c:Z,rshared,noexec', { source: '/h', destination: '/c', options: ['rshared', 'noexec'] }],
  ['./src:/src', { source: '/work/proj/src', destination: '/src', options: [] }],
  ['../x:/x', { source: '/work/x', destination: '/x', options: [] }],
  ['/h:/a/../b', { source: '/h', destination: '/b', options: [] }],
];
for (const [value, expected] of volumeOk) {
  test(`-v ${value}`, (t) => {
    t.deepEqual(parseVolume(value, '/work/proj'), { kind: 'bind', ...expected });
  });
}

const volumeBad: [string, RegExp][] = [
  ['/c', /anonymous volumes/],
  ['data:/c', /named volume/],
  ['/h:rel', /must be absolute/],
  [':/c', /cannot be empty/],
  ['/h:/c:ro,rw', /conflicts/],
  ['/h:/c:shared,private', /conflicts/],
  ['/h:/c:bogus', /unknown mount option `bogus`/],
  ['/h:/c:U', /not supported/],
  ['/h:/c:O', /not supported/],
  ['/h:/c:ro:extra', /expected host-dir/],
];
for (const [value, re] of volumeBad) {
  test(`-v ${value} is rejected`, (t) => {
    const err = t.throws(() => parseVolume(value, '/work/proj'), { instanceOf: UsageError });
    t.regex(err!.message, re);
    t.true(err!.message.includes('--volume'));
    t.true(err!.message.includes(JSON.stringify(value)));
  });
}

test('--tmpfs path and options', (t) => {
  t.deepEqual(parseTmpfs('/scratch'), { kind: 'tmpfs', destination: '/scratch', options: [] });
  t.deepEqual(parseTmpfs('/scratch:size=64m,mode=1777,noexec'), { kind: 'tmpfs', destination: '/scratch', options: ['size=64m', 'mode=1777', 'noexec'] });
  t.throws(() => parseTmpfs('scratch'), { instanceOf: UsageError, message: /absolute/ });
  t.throws(() => parseTmpfs('/s:size=lots'), { instanceOf: UsageError, message: /size/ });
  t.throws(() => parseTmpfs('/s:mode=999'), { instanceOf: UsageError, message: /mode/ });
  t.throws(() => parseTmpfs('/s:uid=0'), { instanceOf: UsageError, message: /unknown tmpfs option/ });
  t.throws(() => parseTmpfs('/s:ro,rw'), { instanceOf: UsageError, message: /conflicts/ });
});

const mountOk: [string, object][] = [
  ['type=bind,source=/h,target=/c', { kind: 'bind', source: '/h', destination: '/c', options: [] }],
  ['type=bind,src=/h,dst=/c,readonly', { kind: 'bind', source: '/h', destination: '/c', options: ['ro'] }],
  ['type=bind,src=/h,destination=/c,ro=true', { kind: 'bind', source: '/h', destination: '/c', options: ['ro'] }],
  ['type=bind,src=/h,dst=/c,ro=false', { kind: 'bind', source: '/h', destination: '/c', options: [] }],
  ['type=bind,src=/h,dst=/c,rw=false', { kind: 'bind', source: '/h', destination: '/c', options: ['ro'] }],
  ['type=bind,src=/h,dst=/c,bind-propagation=rslave', { kind: 'bind', source: '/h', destination: '/c', options: ['rslave'] }],
  ['type=bind,src=./d,dst=/c,bind-nonrecursive', { kind: 'bind', source: '/work/proj/d', destination: '/c', options: ['bind'] }],
  ['type=bind,target=/etc/hosts', { kind: 'bind', source: '/etc/hosts', destination: '/etc/hosts', options: [] }],
  ['type=tmpfs,target=/t,tmpfs-size=1g,tmpfs-mode=700', { kind: 'tmpfs', destination: '/t', options: ['size=1g', 'mode=700'] }],
  ['"type=bind","src=/a,b",dst=/c', { kind: 'bind', source: '/a,b', destination: '/c', options: [] }],
];
for (const [value, expected] of mountOk) {
  test(`--mount ${value}`, (t) => {
    t.deepEqual(parseMount(value, '/work/proj'), expected as never);
  });
}

const mountBad: [string, RegExp][] = [
  ['source=/h,target=/c', /missing type=/],
  ['type=volume,source=v,target=/c', /not supported/],
  ['type=bind,source=/h', /missing target/],
  ['type=bind,source=/h,target=c', /absolute/],
  ['type=bind,source=/h,target=/c,ro,rw', /more than once/],
  ['type=bind,source=/h,target=/c,bind-propagation=sideways', /bind-propagation/],
  ['type=tmpfs,source=/h,target=/c', /not valid for type=tmpfs/],
  ['type=bind,source=/h,target=/c,tmpfs-size=1m', /not valid for type=bind/],
  ['type=bind,source=/h,target=/c,frobnicate', /unknown option/],
  ['type=bind,source=vol,target=/c', /host path/],
  ['type=bind,source=/h,target=/c,ro=maybe', /not a boolean/],
];
for (const [value, re] of mountBad) {
  test(`--mount ${value} is rejected`, (t) => {
    const err = t.throws(() => parseMount(value, '/work/proj'), { instanceOf: UsageError });
    t.regex(err!.message, re);
    t.true(err!.message.startsWith('--mount'));
  });
}

test('duplicate mount destinations across -v, --mount and --tmpfs are refused', async (t) => {
  await t.throwsAsync(parseRunOptions({ volume: ['/a:/x'], tmpfs: ['/x'] }, [], ctx()), { instanceOf: UsageError, message: /duplicate mount destination `\/x`/ });
});

const ulimitCases: [string, { type: string; soft: number; hard: number } | RegExp][] = [
  ['nofile=1024', { type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
  ['nofile=1024:2048', { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }],
  ['core=-1', { type: 'RLIMIT_CORE', soft: -1, hard: -1 }],
  ['nproc=10:-1', { type: 'RLIMIT_NPROC', soft: 10, hard: -1 }],
  ['memlock=0', { type: 'RLIMIT_MEMLOCK', soft: 0, hard: 0 }],
  ['nofile', /expected name=soft/],
  ['as=1', /unknown ulimit `as`/],
  ['nofile=2048:1024', /greater than hard/],
  ['nofile=-1:10', /soft limit cannot be unlimited/],
  ['nofile=1:2:3', /too many/],
  ['nofile=abc', /not an integer/],
  ['nofile=-2', /out of range/],
];
for (const [value, expected] of ulimitCases) {
  test(`--ulimit ${value}`, (t) => {
    if (expected instanceof RegExp) t.throws(() => parseUlimit(value), { instanceOf: UsageError, message: expected });
    else t.deepEqual(parseUlimit(value), expected);
  });
}

test('--ulimit: the last value for a name wins', async (t) => {
  const o = await parseRunOptions({ ulimit: ['nofile=10', 'core=0', 'nofile=20'] }, [], ctx());
  t.deepEqual(o.ulimits, [
    { type: 'RLIMIT_NOFILE', soft: 20, hard: 20 },
    { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
  ]);
});

test('--security-opt forms', (t) => {
  t.deepEqual(parseSecurityOpt('no-new-privileges', '/w'), { noNewPrivileges: true });
  t.deepEqual(parseSecurityOpt('no-new-privileges=false', '/w'), { noNewPrivileges: false });
  t.deepEqual(parseSecurityOpt('no-new-privileges:true', '/w'), { noNewPrivileges: true });
  t.deepEqual(parseSecurityOpt('seccomp=unconfined', '/w'), { seccomp: { kind: 'unconfined' } });
  t.deepEqual(parseSecurityOpt('seccomp:unconfined', '/w'), { seccomp: { kind: 'unconfined' } });
  t.deepEqual(parseSecurityOpt('seccomp=p.json', '/w'), { seccomp: { kind: 'file', path: '/w/p.json' } });
  t.deepEqual(parseSecurityOpt('seccomp=/etc/p.json', '/w'), { seccomp: { kind: 'file', path: '/etc/p.json' } });
  t.throws(() => parseSecurityOpt('no-new-privileges=perhaps', '/w'), { instanceOf: UsageError });
  t.throws(() => parseSecurityOpt('seccomp=', '/w'), { instanceOf: UsageError });
  t.throws(() => parseSecurityOpt('apparmor=unconfined', '/w'), { instanceOf: UsageError, message: /unsupported security option `apparmor`/ });
});

test('security defaults: no_new_privs on, default seccomp; the last seccomp= wins', async (t) => {
  const d = await parseRunOptions({}, [], ctx());
  t.true(d.noNewPrivileges);
  t.deepEqual(d.seccomp, { kind: 'default' });
  const o = await parseRunOptions({ securityOpt: ['seccomp=unconfined', 'no-new-privileges=false', 'seccomp=/p.json'] }, [], ctx());
  t.false(o.noNewPrivileges);
  t.deepEqual(o.seccomp, { kind: 'file', path: '/p.json' });
});

test('--cap-add/--cap-drop normalise case and prefix, reject unknown names', async (t) => {
  const o = await parseRunOptions({ capAdd: ['net_raw', 'CAP_SYS_PTRACE', 'all'], capDrop: ['Chown'] }, [], ctx());
  t.deepEqual(o.capAdd, ['CAP_NET_RAW', 'CAP_SYS_PTRACE', 'ALL']);
  t.deepEqual(o.capDrop, ['CAP_CHOWN']);
  await t.throwsAsync(parseRunOptions({ capAdd: ['FLY'] }, [], ctx()), { instanceOf: UsageError, message: /--cap-add FLY: unknown capability `CAP_FLY`/ });
});

test('--name validation', (t) => {
  for (const ok of ['a', 'web-1', 'A.b_c', '0x']) t.is(validateName(ok), ok);
  for (const bad of ['', '-a', '.a', '_a', 'a b', 'a/b', 'é']) t.throws(() => validateName(bad), { instanceOf: UsageError });
});

test('--hostname validation', (t) => {
  t.is(validateHostname('box.local'), 'box.local');
  for (const bad of ['', 'a b', 'x'.repeat(65), 'a/b', 'a\nb']) t.throws(() => validateHostname(bad), { instanceOf: UsageError });
});

test('--annotation: KEY=VALUE, and hutch\'s own prefix is reserved', (t) => {
  t.deepEqual(parseAnnotation('org.x=1=2'), ['org.x', '1=2']);
  t.throws(() => parseAnnotation('novalue'), { instanceOf: UsageError });
  t.throws(() => parseAnnotation('=v'), { instanceOf: UsageError });
  t.throws(() => parseAnnotation('run.hutch.overlay.lowerdirs=/etc'), { instanceOf: UsageError, message: /reserved/ });
});

test('--network, --userns, -w and -u validation', async (t) => {
  t.is((await parseRunOptions({}, [], ctx())).network, 'none');
  t.is((await parseRunOptions({ network: 'host' }, [], ctx())).network, 'host');
  await t.throwsAsync(parseRunOptions({ network: 'bridge' }, [], ctx()), { instanceOf: UsageError, message: /--network "bridge"/ });
  t.is((await parseRunOptions({ userns: 'keep-id' }, [], ctx())).userns, 'keep-id');
  await t.throwsAsync(parseRunOptions({ userns: 'auto' }, [], ctx()), { instanceOf: UsageError });
  await t.throwsAsync(parseRunOptions({ workdir: 'rel' }, [], ctx()), { instanceOf: UsageError, message: /--workdir/ });
  t.is((await parseRunOptions({ workdir: '/a/./b/' }, [], ctx())).workdir, '/a/b');
  await t.throwsAsync(parseRunOptions({ user: 'a:b:c' }, [], ctx()), { instanceOf: UsageError });
  await t.throwsAsync(parseRunOptions({ user: '' }, [], ctx()), { instanceOf: UsageError });
});

test('parseRunOptions: defaults and pass-through values', async (t) => {
  const o = await parseRunOptions({ tty: true, interactive: true, init: true, readOnly: true, entrypoint: '', hostname: 'h', name: 'n', user: 'app:staff' }, ['echo', 'hi'], ctx());
  t.deepEqual(o.command, ['echo', 'hi']);
  t.deepEqual(o.entrypoint, ['']);
  t.true(o.tty && o.interactive && o.init && o.readOnly && o.readOnlyTmpfs);
  t.is(o.user, 'app:staff');
  t.is(o.hostname, 'h');
  t.is(o.name, 'n');
  t.is(o.userns, 'default');
  const d = await parseRunOptions({}, [], ctx());
  t.is(d.entrypoint, undefined);
  t.false(d.readOnly);
});
