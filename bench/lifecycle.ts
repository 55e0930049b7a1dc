// `npm run bench:lifecycle` (issue 5): the memory of the per-container monitor
// (VmRSS of hutch's monitor against podman's conmon, averaged over detached
// containers), `ps -a` wall time with 500 containers (and how long creating
// them took), and the `run -d` → `exec true` → `rm -f` round trip, as a whole
// and command by command; beside podman on the same busybox image when it is
// installed.
// Targets: monitor RSS ≤ 1 MiB, `ps -a` with 500 containers ≤ 150 ms.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { switchesUser, testUser } from '../test/helpers/test-user.js';
import { asBenchUser } from './_bench-user.js';
import { alternate, median, roundsFromEnv, summaryLine, type TimedCommand } from './_measure.js';
import { HUTCH_IMAGE, makeStores, pullIntoHutch, pullIntoPodman, removeStores, type BenchStores } from './_stores.js';

const PRIVATE_NS_ENV = 'HUTCH_BENCH_PRIVATE_MOUNT_NS';
// The image has no sleep link; busybox itself is there.
const SLEEP = ['/bin/busybox', 'sleep', '100000'];

// crun refuses a hybrid cgroup host whose cgroup2 hierarchy has controllers; as root, hide that hierarchy in a
// private mount namespace of this process (bench/run.ts does the same for the same reason).
function hideHybridCgroup(): void {
  let controllers = '';
  try {
    controllers = readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim();
  } catch {
    return;
  }
  if (process.getuid?.() !== 0 || controllers === '') return;
  if (process.env[PRIVATE_NS_ENV] !== '1') {
    const result = spawnSync('unshare', ['--mount', '--propagation', 'private', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, [PRIVATE_NS_ENV]: '1' },
    });
    process.exit(result.status ?? 1);
  }
  for (const args of [['umount', '/sys/fs/cgroup/unified'], ['mount', '--make-rshared', '/']]) {
    if (spawnSync(args[0]!, args.slice(1), { stdio: 'inherit' }).status !== 0) throw new Error(`\`${args.join(' ')}\` failed`);
  }
}

/** Runs a command as the bench user and returns its stdout; throws on failure. */
function run(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const command = asBenchUser(argv.join(' '), argv, env);
  const result = spawnSync(command.file, command.args, { env: command.env, cwd: '/', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  if (result.status !== 0) throw new Error(`\`${argv.join(' ')}\` exited with ${result.status ?? result.signal}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** The same, asynchronously, for creating many containers a few at a time. */
function runAsync(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const command = asBenchUser(argv.join(' '), argv, env);
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, command.args, { env: command.env, cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`\`${argv.join(' ')}\` exited with ${code}: ${stderr.trim()}`))));
  });
}

function vmRssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  if (line === undefined) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return Number.parseInt(line.slice('VmRSS:'.length), 10);
}

/**
 * The hutch command with its --runroot moved to a short directory: the
 * monitor's attach socket RUNROOT/ctr/<64-hex id>/attach must fit a unix
 * socket address (108 bytes), as it does under the default
 * $XDG_RUNTIME_DIR/hutch, but not under the bench's long temp path.
 */
function shortRunroot(stores: BenchStores): { cli: string[]; runroot: string } {
  const runroot = mkdtempSync(join(tmpdir(), 'hr-'));
  if (switchesUser()) chownSync(runroot, testUser().uid, testUser().gid);
  const cli = [...stores.hutch];
  cli[cli.indexOf('--runroot') + 1] = runroot;
  return { cli, runroot };
}

/** hutch's monitor pid: inspect's State.ConmonPid when given, else monitor.json of the runtime state under the runroot. */
function hutchMonitorPid(cli: string[], base: string, env: NodeJS.ProcessEnv, id: string): number {
  const record = (JSON.parse(run([...cli, 'inspect', id], env)) as { State: { ConmonPid?: number } }[])[0]!;
  if (typeof record.State.ConmonPid === 'number' && record.State.ConmonPid > 0) return record.State.ConmonPid;
  const found = readdirSync(base, { recursive: true }).map(String).find((p) => p.endsWith('monitor.json') && p.includes(id));
  if (found === undefined) throw new Error(`no monitor pid for ${id}`);
  return (JSON.parse(readFileSync(join(base, found), 'utf8')) as { monitorPid: number }).monitorPid;
}

/** Mean VmRSS (KiB) of the monitors of `count` detached containers; the containers are removed afterwards. */
function monitorRss(cli: string[], flags: string[], rmFlags: string[], image: string, env: NodeJS.ProcessEnv, count: number, monitorPid: (id: string) => number): number {
  const ids: string[] = [];
  try {
    for (let i = 0; i < count; i++) ids.push(run([...cli, 'run', '-d', ...flags, image, ...SLEEP], env).trim().split('\n').pop()!);
    const values = ids.map((id) => vmRssKiB(monitorPid(id)));
    return values.reduce((a, b) => a + b, 0) / values.length;
  } finally {
    if (ids.length > 0) run([...cli, 'rm', '-f', ...rmFlags, ...ids], env);
  }
}

/** Creates `count` containers, `parallel` at a time; returns the wall time in ms. */
async function createMany(cli: string[], image: string, env: NodeJS.ProcessEnv, count: number, parallel: number): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      await runAsync([...cli, 'create', image, 'true'], env);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The `run -d` → `exec true` → `rm -f` round trip as one timed command (a shell runs the three steps). */
function roundTrip(label: string, cli: string[], flags: string[], rmFlags: string[], image: string, env: NodeJS.ProcessEnv): TimedCommand {
  const q = (argv: readonly string[]): string => argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const script = `set -e; id=$(${q([...cli, 'run', '-d', ...flags, image, ...SLEEP])} | tail -n 1); ${q(cli)} exec "$id" true; ${q([...cli, 'rm', '-f', ...rmFlags])} "$id" >/dev/null`;
  return asBenchUser(label, ['/bin/sh', '-c', script], env);
}

/** Runs `argv` as the bench user; returns its wall time in ms and its last stdout line. Throws on failure. */
function timedStep(argv: readonly string[], env: NodeJS.ProcessEnv): { ms: number; last: string } {
  const start = process.hrtime.bigint();
  const out = run(argv, env);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, last: out.trim().split('\n').pop() ?? '' };
}

/** Each command of the round trip timed on its own, `rounds` times after one warm-up: the samples by command. */
function roundTripSteps(cli: string[], flags: string[], rmFlags: string[], image: string, env: NodeJS.ProcessEnv, rounds: number): Map<string, number[]> {
  const samples = new Map<string, number[]>([['run -d', []], ['exec true', []], ['rm -f', []]]);
  for (let round = 0; round <= rounds; round++) {
    const started = timedStep([...cli, 'run', '-d', ...flags, image, ...SLEEP], env);
    const times = [started.ms, timedStep([...cli, 'exec', started.last, 'true'], env).ms, timedStep([...cli, 'rm', '-f', ...rmFlags, started.last], env).ms];
    if (round > 0) [...samples.values()].forEach((values, i) => values.push(times[i]!));
  }
  return samples;
}

/** Runs one part of the benchmark; a failure is printed (and fails the run) without hiding the other parts' figures. */
async function section(title: string, body: () => void | Promise<void>): Promise<void> {
  process.stdout.write(`\n== ${title}\n`);
  try {
    await body();
  } catch (err) {
    process.stdout.write(`not measured: ${(err as Error).message.split('\n').slice(0, 3).join(' | ')}\n`);
    process.exitCode = 1;
  }
}

hideHybridCgroup();
const rounds = roundsFromEnv(10);
const psContainers = Number.parseInt(process.env.BENCH_PS_CONTAINERS ?? '500', 10);
const monitorCount = 10;
// Containers created at once for the ps benchmark ($BENCH_CREATE_PARALLEL, default 1: one after another).
const createParallel = Number.parseInt(process.env.BENCH_CREATE_PARALLEL ?? '1', 10);
const stores = await makeStores();
const hutch = shortRunroot(stores);
try {
  process.stdout.write(`preparing stores in ${stores.base}\n`);
  await pullIntoHutch(stores);
  let podmanImage: string | null = null;
  let podmanNote = 'podman is not installed';
  if (stores.podman) {
    try {
      podmanImage = await pullIntoPodman(stores, stores.podman);
      run([...stores.podman, 'rm', '-f', run([...stores.podman, 'run', '-d', '--network=none', podmanImage, ...SLEEP], stores.env).trim()], stores.env);
      podmanNote = '';
    } catch (err) {
      podmanImage = null;
      podmanNote = `podman cannot run detached containers here: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  // podman's default network would need slirp4netns per container; hutch's detached containers have none either.
  // podman's rm -f waits the 10 s stop timeout for a pid 1 that ignores SIGTERM; -t 0 kills at once, as hutch's does.
  const podman = podmanImage === null ? null : { cli: stores.podman!, flags: ['--network=none'], image: podmanImage };

  let hutchRss = Number.NaN;
  await section(`monitor RSS, hutch (VmRSS, mean of ${monitorCount} detached containers)`, () => {
    hutchRss = monitorRss(hutch.cli, [], [], HUTCH_IMAGE, stores.env, monitorCount, (id) => hutchMonitorPid(hutch.cli, hutch.runroot, stores.env, id));
    process.stdout.write(`hutch monitor: ${hutchRss.toFixed(0)} KiB (target ≤ 1024 KiB)\n`);
  });
  await section(`monitor RSS, podman conmon (mean of ${monitorCount})`, () => {
    if (!podman) throw new Error(podmanNote);
    const conmon = monitorRss(podman.cli, podman.flags, ['-t', '0'], podman.image, stores.env, monitorCount, (id) =>
      Number(run([...podman.cli, 'inspect', '--format', '{{.State.ConmonPid}}', id], stores.env).trim()));
    process.stdout.write(`podman conmon: ${conmon.toFixed(0)} KiB; hutch / conmon: ${(hutchRss / conmon).toFixed(2)}\n`);
  });

  const tripMedians = new Map<string, number>();
  const trips = [roundTrip('hutch run -d/exec/rm -f', hutch.cli, [], [], HUTCH_IMAGE, stores.env)];
  if (podman) trips.push(roundTrip('podman run -d/exec/rm -f -t 0', podman.cli, podman.flags, ['-t', '0'], podman.image, stores.env));
  for (const trip of trips) {
    await section(`${trip.label} (median of ${rounds} after 1 warm-up)`, () => {
      for (const [label, values] of alternate([trip], rounds, 1)) {
        process.stdout.write(`${summaryLine(label, values)}\n`);
        tripMedians.set(label, median(values));
      }
    });
  }
  if (tripMedians.size === 2) process.stdout.write(`round trip hutch / podman: ${([...tripMedians.values()][0]! / [...tripMedians.values()][1]!).toFixed(3)}\n`);
  const stepTools = [{ name: 'hutch', cli: hutch.cli, flags: [] as string[], rmFlags: [] as string[], image: HUTCH_IMAGE }, ...(podman ? [{ name: 'podman', cli: podman.cli, flags: podman.flags, rmFlags: ['-t', '0'], image: podman.image }] : [])];
  for (const tool of stepTools) {
    await section(`${tool.name} round trip, each command on its own (median of ${rounds} after 1 warm-up)`, () => {
      for (const [step, values] of roundTripSteps(tool.cli, tool.flags, tool.rmFlags, tool.image, stores.env, rounds)) {
        process.stdout.write(`${summaryLine(`${tool.name} ${step}`, values)}\n`);
      }
    });
  }

  await section(`ps -a with ${psContainers} containers`, async () => {
    const hutchCreate = await createMany(hutch.cli, HUTCH_IMAGE, stores.env, psContainers, createParallel);
    process.stdout.write(`hutch create × ${psContainers} (${createParallel} at a time): ${(hutchCreate / 1000).toFixed(1)} s, ${(hutchCreate / psContainers).toFixed(1)} ms per container\n`);
    const listings = [asBenchUser('hutch ps -a', [...hutch.cli, 'ps', '-a'], stores.env)];
    if (podman) {
      const podmanCreate = await createMany(podman.cli, podman.image, stores.env, psContainers, createParallel);
      process.stdout.write(`podman create × ${psContainers} (${createParallel} at a time): ${(podmanCreate / 1000).toFixed(1)} s, ${(podmanCreate / psContainers).toFixed(1)} ms per container\n`);
      listings.push(asBenchUser('podman ps -a', [...podman.cli, 'ps', '-a'], stores.env));
    }
    const hutchRows = run([...hutch.cli, 'ps', '-a', '-q'], stores.env).trim().split('\n').length;
    if (hutchRows !== psContainers) throw new Error(`hutch ps -a -q lists ${hutchRows} containers, expected ${psContainers}`);
    const psSamples = alternate(listings, rounds, 1);
    for (const [label, values] of psSamples) process.stdout.write(`${summaryLine(label, values)}\n`);
    process.stdout.write(`hutch ps -a: ${median(psSamples.get('hutch ps -a')!).toFixed(1)} ms (target ≤ 150 ms)\n`);
    if (podman) process.stdout.write(`ps -a hutch / podman: ${(median(psSamples.get('hutch ps -a')!) / median(psSamples.get('podman ps -a')!)).toFixed(3)}\n`);
  });
} finally {
  rmSync(hutch.runroot, { recursive: true, force: true });
  // podman's container locks are one shared memory segment per user (2048 locks): a container that
  // goes with its store instead of through `podman rm` never gives its lock back, and a few runs of
  // this benchmark would exhaust them ("exceeded num_locks").
  if (stores.podman) {
    try {
      run([...stores.podman, 'rm', '--all', '--force', '--time', '0'], stores.env);
    } catch (err) {
      process.stdout.write(`warning: podman's containers were not removed, their locks stay taken: ${(err as Error).message.split('\n')[0]}\n`);
    }
  }
  await removeStores(stores);
}
