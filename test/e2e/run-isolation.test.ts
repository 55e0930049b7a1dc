// `hutch run` isolation seen from inside: pid namespace, hostname, id maps,
// network namespace, and the host's files and runtime out of reach.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { hutch } from '../helpers/installed-cli.js';
import { parseReport, type ReporterProbe, type ReporterReport } from '../helpers/reporter.js';
import { prepareRunImage, report, runIn, type RunImage } from '../helpers/run-image.js';
import { makeTestUserDir, testUser } from '../helpers/test-user.js';

const test = anyTest as TestFn<{ image: RunImage }>;

interface Listing {
  path: string;
  entries: string[];
}

/** One uid_map/gid_map line as numbers: [container, host, size]. */
function mapLines(map: string | null): number[][] {
  return (map ?? '').trim().split('\n').filter((l) => l.trim() !== '').map((l) => l.trim().split(/\s+/).map(Number));
}

test.before(async (t) => {
  t.context.image = await prepareRunImage();
});

test.after.always(async (t) => {
  await t.context.image?.remove();
});

test('the command is pid 1 and sees only the container\'s processes', async (t) => {
  const ids = await report<ReporterReport>(t.context.image, [], ['ids']);
  t.is(ids.pid, 1);
  t.is(ids.ppid, 0);
  const procs = await report<Listing>(t.context.image, [], ['ls', '/proc']);
  t.deepEqual(procs.entries.filter((e) => /^\d+$/.test(e)), ['1']);
});

test('a shell sees itself and its children only, and no hutch or runtime process', async (t) => {
  const result = await runIn(t.context.image, [], ['sh', '-c', 'for d in /proc/[0-9]*; do echo "${d#/proc/} $(cat $d/comm)"; done']);
  t.is(result.exitCode, 0, result.stderr);
  const processes = result.stdout.trim().split('\n').map((line) => line.split(' '));
  t.true(processes.some(([pid, comm]) => pid === '1' && comm === 'sh'), result.stdout);
  for (const [pid, comm] of processes) {
    t.true(Number(pid) < 10, `unexpected pid ${pid} (${comm})`);
    t.notRegex(comm ?? '', /hutch|node|runtime/);
  }
});

test('the hostname defaults to the short container ID', async (t) => {
  const { image } = t.context;
  const result = await hutch(['run', image.ref, 'sh', '-c', 'hostname; cat /etc/hostname; echo "$HOSTNAME"'], { store: image.store });
  t.is(result.exitCode, 0, result.stderr);
  const [name, file, env] = result.stdout.trim().split('\n');
  t.regex(name ?? '', /^[0-9a-f]{12}$/);
  t.is(file, name);
  t.is(env, name);
  const containers = await readdir(join(image.store.root, 'containers'));
  t.true(containers.some((id) => id.startsWith(name ?? '-') && /^[0-9a-f]{64}$/.test(id)), `no container ID starting with ${name} in ${containers.join(' ')}`);
});

test('--hostname sets the UTS name and /etc/hostname', async (t) => {
  const result = await runIn(t.context.image, ['--hostname', 'burrow'], ['sh', '-c', 'hostname; cat /etc/hostname; grep -c burrow /etc/hosts']);
  t.is(result.exitCode, 0, result.stderr);
  const [name, file, hosts] = result.stdout.trim().split('\n');
  t.is(name, 'burrow');
  t.is(file, 'burrow');
  t.not(Number(hosts), 0);
});

test('the id maps put container root on the user and 1.. on the subordinate range', async (t) => {
  const user = testUser();
  const ids = await report<ReporterReport>(t.context.image, [], ['ids']);
  t.is(ids.uid, 0);
  t.is(ids.gid, 0);
  const expectedUid = user.subuid === null ? [[0, user.uid, 1]] : [[0, user.uid, 1], [1, user.subuid.start, user.subuid.count]];
  const expectedGid = user.subgid === null ? [[0, user.gid, 1]] : [[0, user.gid, 1], [1, user.subgid.start, user.subgid.count]];
  t.deepEqual(mapLines(ids.uid_map), expectedUid);
  t.deepEqual(mapLines(ids.gid_map), expectedGid);
});

const withRanges = testUser().subuid !== null && testUser().subgid !== null ? test : test.skip;

withRanges('--userns=keep-id keeps the user\'s own ids and runs as them', async (t) => {
  const user = testUser();
  const ids = await report<ReporterReport>(t.context.image, ['--userns=keep-id'], ['ids']);
  t.is(ids.uid, user.uid);
  t.is(ids.gid, user.gid);
  const uidMap = mapLines(ids.uid_map);
  const gidMap = mapLines(ids.gid_map);
  t.deepEqual(uidMap.find(([inside]) => inside === user.uid), [user.uid, user.uid, 1]);
  t.deepEqual(gidMap.find(([inside]) => inside === user.gid), [user.gid, user.gid, 1]);
  t.deepEqual(uidMap.find(([inside]) => inside === 0), [0, user.subuid!.start, Math.min(user.uid, user.subuid!.count)]);
  t.deepEqual(gidMap.find(([inside]) => inside === 0), [0, user.subgid!.start, Math.min(user.gid, user.subgid!.count)]);
});

test('--network none leaves only the loopback interface', async (t) => {
  const result = await runIn(t.context.image, ['--network', 'none'], ['sh', '-c', 'ls /sys/class/net; ip -o link show | wc -l']);
  t.is(result.exitCode, 0, result.stderr);
  const [interfaces, count] = [result.stdout.trim().split('\n').slice(0, -1), result.stdout.trim().split('\n').at(-1)];
  t.deepEqual(interfaces, ['lo']);
  t.is(Number(count), 1);
});

test('the loopback interface is up: a server on 127.0.0.1 is reachable, ping\'s ICMP socket is allowed, and /proc/net belongs to container root', async (t) => {
  // The client retries until the listener is ready; nc exits non-zero on a refused connection.
  const script = [
    'ip -o link show lo',
    'stat -c "net-owner %u:%g" /proc/self/net/dev',
    'nc -l -p 8080 > /tmp/received &',
    'i=0; while test $i -lt 50; do echo hello | nc 127.0.0.1 8080 && break; i=$((i + 1)); sleep 0.1; done',
    'wait',
    'echo "received $(cat /tmp/received)"',
  ].join('\n');
  for (const flags of [[], ['--network', 'none']]) {
    const result = await runIn(t.context.image, flags, ['sh', '-c', script]);
    t.is(result.exitCode, 0, result.stderr);
    t.regex(result.stdout, /lo: <LOOPBACK,UP,LOWER_UP>/);
    t.regex(result.stdout, /^net-owner 0:0$/m);
    t.regex(result.stdout, /^received hello$/m);
    // What ping opens without CAP_NET_RAW: allowed by podman's net.ipv4.ping_group_range=0 0.
    const icmp = await runIn(t.context.image, flags, ['/bin/reporter', 'syscall', 'icmp-socket']);
    t.is(icmp.exitCode, 0, icmp.stderr);
    t.is(parseReport<ReporterProbe>(icmp.stdout).errno, null);
  }
});

test('the default network is private as well', async (t) => {
  const listing = await report<Listing>(t.context.image, [], ['ls', '/sys/class/net']);
  t.deepEqual(listing.entries, ['lo']);
});

test('--network host shares the host\'s interfaces', async (t) => {
  const hostInterfaces = (await readdir('/sys/class/net')).sort();
  t.true(hostInterfaces.length > 1, 'the host needs an interface besides lo for this test to mean anything');
  const result = await runIn(t.context.image, ['--network', 'host'], ['sh', '-c', 'ip -o link show | while read n name rest; do echo "${name%%:*}"; done']);
  t.is(result.exitCode, 0, result.stderr);
  t.deepEqual(result.stdout.trim().split('\n').map((n) => n.replace(/@.*/, '')).sort(), hostInterfaces);
});

test('a file on the host is not reachable at the same path inside', async (t) => {
  const dir = await makeTestUserDir('hutch-e2e-sentinel-');
  const sentinel = join(dir, 'sentinel');
  await writeFile(sentinel, 'host secret\n');
  const probe = await report<ReporterProbe>(t.context.image, [], ['cat', sentinel]);
  t.is(probe.result, -1);
  t.is(probe.errno, 'ENOENT');
  const root = await report<Listing>(t.context.image, [], ['ls', '/']);
  for (const hostOnly of ['usr', 'lib', 'work', 'boot']) t.false(root.entries.includes(hostOnly), `/${hostOnly} from the host is visible`);
  t.is(await readFile(sentinel, 'utf8'), 'host secret\n');
});

test('/proc/1/exe cannot be opened for writing, with or without --init', async (t) => {
  for (const flags of [[], ['--init']]) {
    const result = await runIn(t.context.image, flags, ['sh', '-c', '/bin/reporter write /proc/1/exe; /bin/reporter cat /proc/1/comm']);
    t.is(result.exitCode, 0, result.stderr);
    const [write, comm] = result.stdout.trim().split('\n').map((line) => parseReport<ReporterProbe & { content?: string }>(line));
    t.is(write?.result, -1, `flags ${flags.join(' ')}: ${result.stdout}`);
    t.truthy(write?.errno);
    t.notRegex(comm?.content ?? '', /hutch-runtime|node/);
  }
});

test('/etc/hosts and /etc/resolv.conf are generated per container', async (t) => {
  const result = await runIn(t.context.image, ['--hostname', 'nest'], ['sh', '-c', 'cat /etc/hosts; test -f /etc/resolv.conf && echo resolv-present']);
  t.is(result.exitCode, 0, result.stderr);
  t.regex(result.stdout, /127\.0\.0\.1\s+.*localhost/);
  t.regex(result.stdout, /nest/);
  t.regex(result.stdout, /resolv-present/);
});
