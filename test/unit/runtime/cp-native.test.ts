import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { extractToStaging } from '../../../src/runtime/cp-host-extract.js';
import { spawnCp } from '../../../src/runtime/cp-native.js';
import { packHostPath } from '../../../src/runtime/cp-tar-pack.js';

// Issue 5: a copy that ended before its reader was attached arrived empty, because Node resumes
// (and so empties) a child's unread stdout once the child has exited.
test('the output of a copy that exited before anyone read it is kept whole', async (t) => {
  const cp = spawnCp('/bin/sh', ['-c', 'printf "%s" "$1"', 'sh', 'all of the tar'], ['ignore', 'pipe', 'pipe'], 'web');
  await once(cp.child, 'exit');
  // Node's flush of unread stdio runs on the tick after 'exit'; read only once it has run.
  await new Promise((resolve) => setImmediate(resolve));
  t.is(await text(cp.output!), 'all of the tar');
  await cp.done;
});

test('a tar from a copy that already exited is extracted completely', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hutch-cp-native-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const tar = join(dir, 'copy.tar');
  await pipeline(packHostPath('package.json', 'top'), createWriteStream(tar));
  const out = join(dir, 'out');
  await mkdir(out);
  const cp = spawnCp('/bin/cat', [tar], ['ignore', 'pipe', 'pipe'], 'web');
  await once(cp.child, 'exit');
  await new Promise((resolve) => setImmediate(resolve));
  const staging = await extractToStaging(cp.output!, out);
  t.is(await readFile(join(staging, 'top'), 'utf8'), await readFile('package.json', 'utf8'));
  await cp.done;
});

test('output larger than the pipe buffers streams through with every byte', async (t) => {
  const size = 4 * 1024 * 1024;
  const cp = spawnCp('/bin/sh', ['-c', `head -c ${size} /dev/zero`], ['ignore', 'pipe', 'pipe'], 'web');
  let received = 0;
  for await (const chunk of cp.output!) received += (chunk as Buffer).length;
  t.is(received, size);
  await cp.done;
});

test('a failing copy rejects with the last line of its stderr, naming the container', async (t) => {
  const cp = spawnCp('/bin/sh', ['-c', 'echo "hutch-runtime: first" >&2; echo "hutch-runtime: cp: stat \\`/x\\`: ENOENT" >&2; exit 125'], ['ignore', 'pipe', 'pipe'], 'web');
  await t.throwsAsync(cp.done, { message: 'web: cp: stat `/x`: ENOENT' });
});
