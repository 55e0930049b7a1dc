import { execa } from 'execa';
import { join } from 'node:path';
import { pushImage } from '../test/helpers/push.js';
import { startRegistry } from '../test/helpers/registry.js';
import { makeTestUserDir } from '../test/helpers/test-user.js';
import { buildBenchImages } from './_pull-image.js';

const bin = process.argv[2]!;
const { main: image } = await buildBenchImages();
const registry = await startRegistry();
await pushImage(registry, 'bench/a', 'v1', image);
const work = await makeTestUserDir('hutch-prof-');
const root = join(work, 'r');
const env = { HOME: '/home/hutch-test', PATH: `${process.execPath.replace(/\/node$/, '')}:/usr/bin:/bin`, XDG_RUNTIME_DIR: work };
const r = await execa('perf', ['record', '-F', '2000', '-g', '-o', '/tmp/apply-perf.data', '--', 'setpriv', '--reuid', '1001', '--regid', '1001', '--init-groups', bin, '--root', `${root}/root`, '--runroot', `${root}/run`, 'pull', '-q', `${registry.host}/bench/a:v1`], { env, reject: false, all: true });
console.log(r.exitCode, r.all?.slice(-2000));
await registry.stop();
await execa('rm', ['-rf', work]);
