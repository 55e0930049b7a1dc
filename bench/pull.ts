// `npm run bench:pull`: a cold pull of a generated image of realistic shape
// from a local docker-registry, by hutch and (when installed) by podman and by
// skopeo copy + umoci unpack, in the same run; then a second image sharing the
// base layers, to show what it adds on disk. Pulls run as the unprivileged
// test user (hutch-test when run as root), the way users run them; the cold
// pulls alternate between hutch and podman for $BENCH_ROUNDS rounds (default 3)
// and the medians are compared.
import { mkdir, rm } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { installedHutch } from '../test/helpers/installed-cli.js';
import { pushImage } from '../test/helpers/push.js';
import { startRegistry } from '../test/helpers/registry.js';
import { makeTestUserDir, runAsTestUser } from '../test/helpers/test-user.js';
import { buildBenchImages } from './_pull-image.js';
import { roundsFromEnv } from './_measure.js';
import { diskUsage, measure, type Measurement } from './_pull-measure.js';

const MB = 1024 * 1024;
const TARGETS = { wallRatio: 1 / 3, peakRssMb: 150 };

async function installed(command: string): Promise<boolean> {
  const result = await execa('sh', ['-c', `command -v ${command}`], { reject: false });
  return result.exitCode === 0;
}

function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

function line(label: string, m: Measurement): string {
  return `${label.padEnd(26)} ${(m.wallMs / 1000).toFixed(2).padStart(7)} s   cpu ${(m.cpuMs / 1000).toFixed(2).padStart(6)} s   peak tree RSS ${(m.peakTreeRssKb / 1024).toFixed(0).padStart(4)} MB   tree PSS ${(m.peakTreePssKb / 1024).toFixed(0).padStart(4)} MB   largest process ${(m.peakSingleRssKb / 1024).toFixed(0).padStart(4)} MB`;
}

/** The run with the median wall time (the lower middle one for an even count). */
function medianRun(runs: readonly Measurement[]): Measurement {
  return [...runs].sort((a, b) => a.wallMs - b.wallMs)[(runs.length - 1) >> 1]!;
}

function check(m: Measurement): Measurement {
  if (m.exitCode !== 0) throw new Error(`\`${m.command}\` failed (exit ${m.exitCode}):\n${m.stderr}`);
  return m;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  console.log('generating images...');
  const { main: image, second } = await buildBenchImages();
  const compressed = image.layers.reduce((a, l) => a + l.bytes.length, 0);
  const uncompressed = image.layers.reduce((a, l) => a + l.tar.length, 0);
  const ownLayer = second.layers.at(-1)!;
  console.log(`image A: ${image.layers.length} gzip layers, ${mb(compressed)} compressed, ${mb(uncompressed)} uncompressed`);
  console.log(`image B: A's 3 base layers + one of ${mb(ownLayer.bytes.length)} compressed, ${mb(ownLayer.tar.length)} uncompressed`);

  const registry = await startRegistry();
  const work = await makeTestUserDir('hutch-bench-pull-');
  const hasPodman = await installed('podman');
  const rounds = roundsFromEnv(3);
  const hutchArgs = (r: number) => ['--root', join(work, `hutch${r}`, 'root'), '--runroot', join(work, `hutch${r}`, 'run')];
  const podmanArgs = (r: number) => ['--root', join(work, `podman${r}`, 'root'), '--runroot', join(work, `podman${r}`, 'run'), '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
  try {
    await pushImage(registry, 'bench/a', 'v1', image);
    await pushImage(registry, 'bench/b', 'v1', second);
    const refA = `${registry.host}/bench/a:v1`;
    const refB = `${registry.host}/bench/b:v1`;
    const bin = await installedHutch();
    console.log(`hutch: ${bin}; setup took ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

    // Cold pulls of A alternate between hutch and podman, in a fresh store each
    // round, and nothing is deleted until the end: on ext4 without a journal,
    // creating inodes right after many were deleted is several times slower
    // (find_inode_bit skips inodes freed in the last 30 s), which would
    // otherwise penalise whichever tool runs after a deletion or the install.
    if (!hasPodman) console.log('podman not installed: skipped');
    const hutchRuns: Measurement[] = [];
    const podmanRuns: Measurement[] = [];
    const pullHutch = async (r: number) => hutchRuns.push(check(await measure(bin, [...hutchArgs(r), 'pull', '-q', refA], { asTestUser: true })));
    const pullPodman = async (r: number) => {
      const root = join(work, `podman${r}`);
      await mkdir(root, { recursive: true });
      await execa('chown', ['-R', '--reference', work, root], { reject: false });
      // Start-up (the rootless pause process, the database) is not what is compared: warm it first.
      await runAsTestUser('podman', [...podmanArgs(r), 'images']);
      podmanRuns.push(check(await measure('podman', [...podmanArgs(r), 'pull', '-q', '--tls-verify=false', refA], { asTestUser: true })));
    };
    for (let r = 0; r < rounds; r++) {
      // Each tool goes first in every other round.
      for (const pull of r % 2 === 0 ? [pullHutch, pullPodman] : [pullPodman, pullHutch]) if (pull === pullHutch || hasPodman) await pull(r);
      console.log(line(`hutch pull A (cold) #${r + 1}`, hutchRuns[r]!));
      if (hasPodman) console.log(line(`podman pull A (cold) #${r + 1}`, podmanRuns[r]!));
    }
    const hutchA = medianRun(hutchRuns);
    const podman = hasPodman ? medianRun(podmanRuns) : undefined;

    const diskA = await diskUsage(join(work, 'hutch0', 'root'));
    const hutchB = check(await measure(bin, [...hutchArgs(0), 'pull', '-q', refB], { asTestUser: true }));
    const diskAB = await diskUsage(join(work, 'hutch0', 'root'));
    const df = await runAsTestUser(bin, [...hutchArgs(0), 'system', 'df']);
    console.log(line('hutch pull B (base shared)', hutchB));
    console.log(`hutch store after A: ${mb(diskA)} (du); B added ${mb(diskAB - diskA)} (its own layer: ${mb(ownLayer.tar.length)} uncompressed tar)`);
    console.log(df.stdout.trimEnd());
    if (hasPodman) {
      const podmanDisk = await diskUsage(join(work, 'podman0', 'root'));
      const podmanB = check(await measure('podman', [...podmanArgs(0), 'pull', '-q', '--tls-verify=false', refB], { asTestUser: true }));
      const podmanDiskAB = await diskUsage(join(work, 'podman0', 'root'));
      console.log(line('podman pull B', podmanB));
      console.log(`podman store after A: ${mb(podmanDisk)}; B added ${mb(podmanDiskAB - podmanDisk)}`);
    }

    let skopeoUmoci: { wallMs: number; peakTreeRssKb: number } | undefined;
    if ((await installed('skopeo')) && (await installed('umoci'))) {
      const dir = join(work, 'oci');
      await mkdir(dir);
      await execa('chown', ['--reference', work, dir]);
      const copy = check(await measure('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${refA}`, `oci:${join(dir, 'layout')}:a`], { asTestUser: true }));
      const unpack = check(await measure('umoci', ['unpack', '--rootless', '--image', `${join(dir, 'layout')}:a`, join(dir, 'bundle')], { asTestUser: true }));
      skopeoUmoci = { wallMs: copy.wallMs + unpack.wallMs, peakTreeRssKb: Math.max(copy.peakTreeRssKb, unpack.peakTreeRssKb) };
      console.log(line('skopeo copy A', copy));
      console.log(line('umoci unpack A', unpack));
    } else console.log('skopeo or umoci not installed: skipped');

    console.log('\nsummary');
    const peakRssMb = Math.max(...hutchRuns.map((m) => m.peakTreeRssKb)) / 1024;
    console.log(`  hutch wall ${(hutchA.wallMs / 1000).toFixed(2)} s (median of ${rounds}), peak tree RSS ${peakRssMb.toFixed(0)} MB (highest of ${rounds}; target <= ${TARGETS.peakRssMb} MB: ${peakRssMb <= TARGETS.peakRssMb ? 'met' : 'NOT met'})`);
    if (podman) {
      const ratio = hutchA.wallMs / podman.wallMs;
      console.log(`  hutch/podman median wall time ${ratio.toFixed(2)} (target <= ${TARGETS.wallRatio.toFixed(2)}: ${ratio <= TARGETS.wallRatio ? 'met' : 'NOT met'}), cpu time ${(hutchA.cpuMs / podman.cpuMs).toFixed(2)}, peak RSS ${(hutchA.peakTreeRssKb / podman.peakTreeRssKb).toFixed(2)}`);
    }
    console.log(`  load average (1 min) at the end: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} CPUs`);
    if (skopeoUmoci) console.log(`  hutch/(skopeo+umoci) wall time ${(hutchA.wallMs / skopeoUmoci.wallMs).toFixed(2)}`);
    const added = diskAB - diskA;
    console.log(`  second image added ${mb(added)} for an own layer of ${mb(ownLayer.tar.length)} (${added <= ownLayer.tar.length * 1.25 + MB ? 'only its own layer' : 'MORE than its own layer'})`);
    console.log(`  total bench time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  } finally {
    for (let r = 0; hasPodman && r < rounds; r++) await runAsTestUser('podman', [...podmanArgs(r), 'system', 'reset', '-f']);
    await registry.stop();
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
