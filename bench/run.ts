// `npm run bench:run`: the wall time of `hutch run --rm IMAGE true` against
// `podman run --rm --network=none IMAGE true` on the same busybox image, and
// against bare Node start-up (`node -e 0`), the floor any Node CLI pays.
// Targets (issue 4): hutch ≤ 0.35 × podman and ≤ 45 ms above node.
// Both images are pulled into throwaway stores first, so no run pulls.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asBenchUser } from './_bench-user.js';
import { alternate, median, roundsFromEnv, summaryLine, type TimedCommand } from './_measure.js';
import { HUTCH_IMAGE, makeStores, pullIntoHutch, pullIntoPodman, removeStores } from './_stores.js';

const PRIVATE_NS_ENV = 'HUTCH_BENCH_PRIVATE_MOUNT_NS';

// crun (podman's runtime here) refuses to run on a hybrid cgroup host whose
// cgroup2 hierarchy has controllers ("cgroups in hybrid mode not supported").
// Root can hide that hierarchy in a private mount namespace for this process
// and its children only; hutch does not look at cgroups for `run`.
function hybridCgroupControllers(): boolean {
  try {
    return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

function reexecInPrivateMountNamespace(): never {
  const result = spawnSync('unshare', ['--mount', '--propagation', 'private', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [PRIVATE_NS_ENV]: '1' },
  });
  process.exit(result.status ?? 1);
}

function hideUnifiedCgroup(): void {
  for (const args of [['umount', '/sys/fs/cgroup/unified'], ['mount', '--make-rshared', '/']]) {
    const result = spawnSync(args[0]!, args.slice(1), { stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`\`${args.join(' ')}\` failed in the bench's private mount namespace`);
  }
}

const asRoot = process.getuid?.() === 0;
if (asRoot && hybridCgroupControllers()) {
  if (process.env[PRIVATE_NS_ENV] !== '1') reexecInPrivateMountNamespace();
  hideUnifiedCgroup();
}

const rounds = roundsFromEnv(15);
const stores = await makeStores();
try {
  process.stdout.write(`preparing stores in ${stores.base}\n`);
  await pullIntoHutch(stores);
  const commands: TimedCommand[] = [
    asBenchUser('node -e 0', [process.execPath, '-e', '0'], stores.env),
    asBenchUser('hutch run --rm IMAGE true', [...stores.hutch, 'run', '--rm', HUTCH_IMAGE, 'true'], stores.env),
  ];
  let podmanNote = 'podman is not installed';
  if (stores.podman) {
    try {
      const id = await pullIntoPodman(stores, stores.podman);
      const podmanRun = asBenchUser('podman run --rm --network=none IMAGE true', [...stores.podman, 'run', '--rm', '--network=none', id, 'true'], stores.env);
      alternate([podmanRun], 1, 0);
      commands.push(podmanRun);
      podmanNote = '';
    } catch (err) {
      podmanNote = `podman cannot run containers here: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  process.stdout.write(`timing ${rounds} alternating rounds (after 2 warm-up rounds)\n`);
  const samples = alternate(commands, rounds, 2);
  for (const [label, values] of samples) process.stdout.write(`${summaryLine(label, values)}\n`);
  const node = median(samples.get('node -e 0')!);
  const hutch = median(samples.get('hutch run --rm IMAGE true')!);
  process.stdout.write(`hutch − node: ${(hutch - node).toFixed(1)} ms (target ≤ 45 ms)\n`);
  const podmanValues = samples.get('podman run --rm --network=none IMAGE true');
  if (podmanValues) {
    process.stdout.write(`hutch / podman: ${(hutch / median(podmanValues)).toFixed(3)} (target ≤ 0.35)\n`);
  } else {
    process.stdout.write(`hutch / podman: not measured (${podmanNote})\n`);
  }
} finally {
  await removeStores(stores);
}
