import test from 'ava';
import { HostError, InvalidContentError, NotFoundError } from '../../../src/errors.js';
import { ANNOTATIONS, RLIM_INFINITY, generateSpec, loadSeccompFor, serializeSpec, type GenerateInput, type HostFacts } from '../../../src/spec/generate.js';
import { INIT_PATH_IN_CONTAINER } from '../../../src/spec/mounts.js';
import { parseRunOptions } from '../../../src/spec/run-options.js';

const host: HostFacts = {
  uid: 1001,
  gid: 1001,
  subuidRanges: [{ start: 100000, count: 65536 }],
  subgidRanges: [{ start: 100000, count: 65536 }],
  arch: 'x64',
  kernelRelease: '6.1.0-18-amd64',
  rlimits: { RLIMIT_NOFILE: { soft: 1024, hard: 524288 }, RLIMIT_NPROC: { soft: Infinity, hard: Infinity }, RLIMIT_CORE: { soft: 0, hard: Infinity } },
};

async function input(flags: Parameters<typeof parseRunOptions>[0] = {}, command: string[] = [], over: Partial<GenerateInput> = {}): Promise<GenerateInput> {
  const options = await parseRunOptions(flags, command, { hostEnv: { FOO: 'bar' }, cwd: '/w', readTextFile: async () => '' });
  return {
    image: { config: { Cmd: ['/bin/sh'], Env: ['PATH=/usr/bin:/bin'], User: '', WorkingDir: '' }, lowerDirs: ['/store/layers/top/diff', '/store/layers/base/diff'] },
    options,
    host,
    container: {
      id: '0123456789abcdef0123456789abcdef',
      rootfs: '/store/containers/x/rootfs',
      upperDir: '/store/containers/x/upper',
      workDir: '/store/containers/x/work',
      etcFiles: { hostname: '/run/x/hostname', hosts: '/run/x/hosts', resolvConf: '/run/x/resolv.conf' },
      rootfsMode: 'overlay',
    },
    userFiles: { passwd: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', group: 'root:x:0:\nstaff:x:50:app\n' },
    seccompProfile: await loadSeccompFor(options.seccomp),
    ...over,
  };
}

test('a default container', async (t) => {
  const spec = generateSpec(await input());
  t.is(spec.ociVersion, '1.2.0');
  t.deepEqual(spec.process.args, ['/bin/sh']);
  t.is(spec.hostname, '0123456789ab');
  t.is(spec.process.cwd, '/');
  t.deepEqual(spec.process.user, { uid: 0, gid: 0, additionalGids: [] });
  t.true(spec.process.noNewPrivileges);
  t.false(spec.process.terminal);
  t.deepEqual(spec.root, { path: '/store/containers/x/rootfs', readonly: false });
  t.deepEqual(spec.linux.namespaces.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'user']);
  t.deepEqual(spec.linux.uidMappings[0], { containerID: 0, hostID: 1001, size: 1 });
  t.true(spec.process.env.includes('HOSTNAME=0123456789ab'));
  t.true(spec.process.env.includes('HOME=/root'));
  t.true(spec.process.env.includes('container=hutch'));
  t.true(spec.process.env.includes('PATH=/usr/bin:/bin'));
  t.is(spec.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  t.true(spec.process.capabilities.effective.includes('CAP_CHOWN'));
  t.true(spec.linux.readonlyPaths.includes('/proc/sys'));
  t.true(spec.linux.maskedPaths.includes('/proc/kcore'));
  t.is(spec.linux.devices.length, 6);
  t.is(spec.linux.resources, undefined, 'no limits: hutch-runtime gives the container a cgroup only where it can');
  t.false('cgroupsPath' in spec.linux);
});

test('--memory, --memory-swap, --cpus, --pids-limit become linux.resources', async (t) => {
  const spec = generateSpec(await input({ memory: '64m', memorySwap: '-1', cpus: '0.5', pidsLimit: '20' }));
  t.deepEqual(spec.linux.resources, { memory: { limit: 64 * 1024 * 1024, swap: -1 }, cpu: { quota: 50000, period: 100000 }, pids: { limit: 20 } });
  t.regex(serializeSpec(spec), /"resources": \{\n\s+"memory": \{\n\s+"limit": 67108864,\n\s+"swap": -1/);
});

test('rootfs mode fuse-overlayfs: the overlay annotations plus the mode and the mount program', async (t) => {
  const base = await input();
  const spec = generateSpec({ ...base, container: { ...base.container, rootfsMode: 'fuse-overlayfs', mountProgram: '/usr/bin/fuse-overlayfs' } });
  t.is(spec.annotations[ANNOTATIONS.rootfsMode], 'fuse-overlayfs');
  t.is(spec.annotations[ANNOTATIONS.mountProgram], '/usr/bin/fuse-overlayfs');
  t.is(spec.annotations[ANNOTATIONS.lowerDirs], '/store/layers/top/diff:/store/layers/base/diff');
  t.is(spec.annotations[ANNOTATIONS.upperDir], '/store/containers/x/upper');
  t.throws(() => generateSpec({ ...base, container: { ...base.container, rootfsMode: 'fuse-overlayfs', mountProgram: null } }), { instanceOf: InvalidContentError, message: /absolute path of fuse-overlayfs/ });
});

test('rootfs mode copy: root.path is the copy, and no overlay annotation is written', async (t) => {
  const base = await input();
  const spec = generateSpec({ ...base, container: { ...base.container, rootfsMode: 'copy' } });
  t.is(spec.annotations[ANNOTATIONS.rootfsMode], 'copy');
  t.is(spec.root.path, '/store/containers/x/rootfs');
  for (const key of [ANNOTATIONS.lowerDirs, ANNOTATIONS.upperDir, ANNOTATIONS.workDir, ANNOTATIONS.mountProgram]) t.false(key in spec.annotations, key);
});

test('overlay annotations: lower dirs top first, upper and work dirs; ENOSYS stub requested', async (t) => {
  const spec = generateSpec(await input({ annotation: ['org.example=1'] }));
  t.is(spec.annotations[ANNOTATIONS.lowerDirs], '/store/layers/top/diff:/store/layers/base/diff');
  t.is(spec.annotations[ANNOTATIONS.upperDir], '/store/containers/x/upper');
  t.is(spec.annotations[ANNOTATIONS.workDir], '/store/containers/x/work');
  t.is(spec.annotations[ANNOTATIONS.seccompEnosys], 'true');
  t.is(spec.annotations['org.example'], '1');
});

test('attack: a storage path with : or , cannot smuggle overlay options', async (t) => {
  const base = await input();
  t.throws(() => generateSpec({ ...base, image: { ...base.image, lowerDirs: ['/a:/etc'] } }), { instanceOf: InvalidContentError });
  t.throws(() => generateSpec({ ...base, container: { ...base.container, upperDir: '/u,lowerdir=/' } }), { instanceOf: InvalidContentError });
  t.throws(() => generateSpec({ ...base, image: { ...base.image, lowerDirs: [] } }), { instanceOf: InvalidContentError });
});

test('the seccomp cache directory is handed to the runtime only with a filter to compile', async (t) => {
  const base = await input();
  const withCache = { ...base, container: { ...base.container, seccompCacheDir: '/store/seccomp-cache' } };
  t.is(generateSpec(withCache).annotations[ANNOTATIONS.seccompCache], '/store/seccomp-cache');
  t.false(ANNOTATIONS.seccompCache in generateSpec(base).annotations);
  t.false(ANNOTATIONS.seccompCache in generateSpec({ ...withCache, seccompProfile: null }).annotations);
});

test('seccomp=unconfined: no linux.seccomp and no ENOSYS annotation', async (t) => {
  const spec = generateSpec(await input({ securityOpt: ['seccomp=unconfined', 'no-new-privileges=false'] }));
  t.is(spec.linux.seccomp, undefined);
  t.false(ANNOTATIONS.seccompEnosys in spec.annotations);
  t.false(spec.process.noNewPrivileges);
});

test('rlimits: NOFILE/NPROC default 1048576 clamped to the caller; --ulimit -1 is the caller\'s hard limit', async (t) => {
  const spec = generateSpec(await input({ ulimit: ['core=-1', 'nofile=100:200'] }));
  t.deepEqual(spec.process.rlimits, [
    { type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY },
    { type: 'RLIMIT_NOFILE', soft: 100, hard: 200 },
    { type: 'RLIMIT_NPROC', soft: 1048576, hard: 1048576 },
  ]);
  const d = generateSpec(await input());
  t.deepEqual(d.process.rlimits.find((r) => r.type === 'RLIMIT_NOFILE'), { type: 'RLIMIT_NOFILE', soft: 1024, hard: 524288 });
});

test('serializeSpec writes RLIM_INFINITY as an exact uint64', async (t) => {
  const text = serializeSpec(generateSpec(await input({ ulimit: ['core=-1'] })));
  t.true(text.includes('"soft": 18446744073709551615'));
  t.false(text.includes('@@hutch'));
  t.is(JSON.parse(text).process.rlimits[0].type, 'RLIMIT_CORE');
});

test('-u, -w, -e, --hostname, -t, --read-only, --network host', async (t) => {
  const spec = generateSpec(await input({ user: 'app', workdir: '/srv', env: ['FOO', 'X=1'], hostname: 'box', tty: true, readOnly: true, network: 'host' }, ['id']));
  t.deepEqual(spec.process.user, { uid: 1000, gid: 1000, additionalGids: [50] });
  t.is(spec.process.cwd, '/srv');
  t.deepEqual(spec.process.args, ['id']);
  t.is(spec.hostname, 'box');
  t.true(spec.process.terminal);
  for (const e of ['FOO=bar', 'X=1', 'TERM=xterm', 'HOME=/home/app', 'HOSTNAME=box']) t.true(spec.process.env.includes(e), e);
  t.true(spec.root.readonly);
  t.true(spec.mounts.some((m) => m.destination === '/tmp' && m.type === 'tmpfs'));
  t.false(spec.linux.namespaces.some((n) => n.type === 'network'));
  t.true(spec.linux.maskedPaths.includes('/sys/kernel'));
  t.deepEqual(spec.process.capabilities.effective, []);
  t.true(spec.process.capabilities.bounding.includes('CAP_CHOWN'));
});

test('a private network gets podman\'s ping_group_range, so ping works without CAP_NET_RAW; --network host gets no sysctl', async (t) => {
  t.deepEqual(generateSpec(await input()).linux.sysctl, { 'net.ipv4.ping_group_range': '0 0' });
  t.is(generateSpec(await input({ network: 'host' })).linux.sysctl, undefined);
});

test('the image User and a relative image WorkingDir', async (t) => {
  const base = await input();
  const spec = generateSpec({ ...base, image: { ...base.image, config: { ...base.image.config, User: 'app:staff', WorkingDir: 'data/../app' } } });
  t.deepEqual(spec.process.user, { uid: 1000, gid: 50, additionalGids: [] });
  t.is(spec.process.cwd, '/app');
});

test('an unknown user, from -u or the image, is an error', async (t) => {
  const base = await input();
  t.throws(() => generateSpec({ ...base, options: { ...base.options, user: 'ghost' } }), { instanceOf: NotFoundError });
  t.throws(() => generateSpec({ ...base, image: { ...base.image, config: { ...base.image.config, User: 'ghost' } } }), { instanceOf: NotFoundError, message: /ghost/ });
});

test('keep-id: the caller\'s uid/gid by default, image User ignored, capabilities of a non-root user', async (t) => {
  const base = await input({ userns: 'keep-id' });
  const spec = generateSpec({ ...base, image: { ...base.image, config: { ...base.image.config, User: 'app' } } });
  t.deepEqual(spec.process.user, { uid: 1001, gid: 1001, additionalGids: [] });
  t.deepEqual(spec.linux.uidMappings.find((m) => m.containerID === 1001), { containerID: 1001, hostID: 1001, size: 1 });
  t.deepEqual(spec.process.capabilities.permitted, []);
  const withUser = generateSpec(await input({ userns: 'keep-id', user: '0' }));
  t.is(withUser.process.user.uid, 0);
});

test('--init prefixes the command and mounts the init binary; missing init is a HostError', async (t) => {
  const base = await input({ init: true }, ['sleep', '1']);
  const spec = generateSpec({ ...base, host: { ...host, initPath: '/opt/hutch/build/Release/hutch-init' } });
  t.deepEqual(spec.process.args, [INIT_PATH_IN_CONTAINER, '--', 'sleep', '1']);
  t.true(spec.mounts.some((m) => m.destination === INIT_PATH_IN_CONTAINER && m.source === '/opt/hutch/build/Release/hutch-init'));
  t.throws(() => generateSpec(base), { instanceOf: HostError, message: /--init/ });
});

test('--cap-add SYS_ADMIN reaches seccomp: mount becomes allowed', async (t) => {
  const spec = generateSpec(await input({ capAdd: ['SYS_ADMIN'] }));
  t.true(spec.linux.seccomp!.syscalls.some((r) => r.names.includes('mount')));
  const plain = generateSpec(await input());
  t.false(plain.linux.seccomp!.syscalls.some((r) => r.names.includes('mount')));
});

test('devpts has gid=5 with a range, not in single-id mode', async (t) => {
  const spec = generateSpec(await input());
  t.true(spec.mounts.find((m) => m.destination === '/dev/pts')!.options.includes('gid=5'));
  const base = await input();
  const single = generateSpec({ ...base, host: { ...host, subuidRanges: [], subgidRanges: [] } });
  t.false(single.mounts.find((m) => m.destination === '/dev/pts')!.options.includes('gid=5'));
});
