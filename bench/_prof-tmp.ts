import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pushImage } from '../test/helpers/push.js';
import { startRegistry } from '../test/helpers/registry.js';
import { makeTestUserDir, runAsTestUser } from '../test/helpers/test-user.js';
import { buildBenchImages } from './_pull-image.js';

const bins = process.argv.slice(2);
const { main: image } = await buildBenchImages();
const registry = await startRegistry();
await pushImage(registry, 'bench/a', 'v1', image);
const work = await makeTestUserDir('hutch-prof-');
for (let round = 0; round < 3; round++) {
  for (const bin of bins) {
    const root = join(work, `r${round}-${bins.indexOf(bin)}`);
    const r = await runAsTestUser('bash', ['-c', `TIMEFORMAT='%R real %U user %S sys'; time ${process.env.WRAP ?? ''} ${bin} --root ${root}/root --runroot ${root}/run pull -q ${registry.host}/bench/a:v1 >/dev/null`]);
    const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
    console.log(`${bin} ${r.stderr.trim().split('\n').at(-1)} load ${load}`);
  }
}
await registry.stop();
await rm(work, { recursive: true, force: true });
