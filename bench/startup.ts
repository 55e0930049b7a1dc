// `npm run bench:startup`: medians of the start-up floor (`node -e 0`) and of
// hutch's quick commands, run as the test user against a store holding one
// small image. Targets: `hutch info` < 150 ms (issue 2); `--version` is the
// floor every other command is measured against.
import { asBenchUser, hutchCommand } from './_bench-user.js';
import { alternate, median, roundsFromEnv, summaryLine, type TimedCommand } from './_measure.js';
import { makeStores, pullIntoHutch, removeStores } from './_stores.js';

const rounds = roundsFromEnv(20);
const stores = await makeStores();
try {
  await pullIntoHutch(stores);
  const commands: TimedCommand[] = [
    asBenchUser('node -e 0', [process.execPath, '-e', '0'], stores.env),
    asBenchUser('hutch --version', [...hutchCommand(), '--version'], stores.env),
    asBenchUser('hutch info', [...stores.hutch, 'info'], stores.env),
    asBenchUser('hutch images', [...stores.hutch, 'images'], stores.env),
  ];
  process.stdout.write(`timing ${rounds} alternating rounds (after 2 warm-up rounds)\n`);
  const samples = alternate(commands, rounds, 2);
  for (const [label, values] of samples) process.stdout.write(`${summaryLine(label, values)}\n`);
  const floor = median(samples.get('node -e 0')!);
  for (const label of ['hutch --version', 'hutch info', 'hutch images']) {
    process.stdout.write(`${label} − node: ${(median(samples.get(label)!) - floor).toFixed(1)} ms\n`);
  }
  process.stdout.write(`hutch info: ${median(samples.get('hutch info')!).toFixed(1)} ms (target < 150 ms)\n`);
} finally {
  await removeStores(stores);
}
