// The `hutch-runtime run` process while its container runs (CVE-2019-5736):
// it executes from its sealed memfd copy, never from the file, and it is not
// dumpable, so not even a process of the same user — which is what the
// container's root is on the host — can reach its executable through /proc.
// It is made dumpable only across the clone of the init (for newuidmap),
// before any process of the container exists.
import { existsSync } from 'node:fs';
import { readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import anyTest, { type TestFn } from 'ava';
import { makeOciBundle, makeRangedOciBundle } from '../helpers/lifecycle-oci.js';
import { runAsTestUser, spawnAsTestUser, switchesUser } from '../helpers/test-user.js';

const test = anyTest as TestFn;
const RUNTIME = fileURLToPath(new URL('../../build/Release/hutch-runtime', import.meta.url));

(switchesUser() ? test : test.skip)('a running container\'s runtime runs from its sealed copy and its user cannot open its executable or memory', async (t) => {
  const bundle = await makeRangedOciBundle(['/bin/sh', '-c', 'touch /out/ready && while [ ! -e /out/go ]; do sleep 0.05; done']);
  t.teardown(() => bundle.remove());
  const running = spawnAsTestUser(RUNTIME, ['run', '--bundle', bundle.dir, '--id', 'dumpable']);
  try {
    for (let i = 0; i < 400 && !existsSync(join(bundle.out, 'ready')); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    t.true(existsSync(join(bundle.out, 'ready')), 'the container did not start');
    const pid = running.pid!;
    // Root may look: the executable is the memfd, not build/Release/hutch-runtime.
    t.regex(await readlink(`/proc/${pid}/exe`), /^\/memfd:hutch-runtime/);
    // The same user may not: the process is not dumpable.
    const attack = await runAsTestUser('/bin/sh', ['-c', 'readlink "/proc/$1/exe"; cat "/proc/$1/exe" > /dev/null; head -c1 "/proc/$1/mem"', 'sh', String(pid)]);
    t.not(attack.exitCode, 0);
    t.is(attack.stdout, '');
    t.regex(attack.stderr, /Permission denied/);
    t.notRegex(attack.stderr, /No such file/);
  } finally {
    await writeFile(join(bundle.out, 'go'), '');
  }
  const result = await running;
  t.is(result.exitCode, 0, String(result.stderr));
});

test('the foreground run writes its state file before the container\'s process starts', async (t) => {
  const bundle = await makeOciBundle((config) => {
    config.process.args = ['sh', '-c', 'if [ -e /out/state/early/state.json ]; then echo present; else echo absent; fi'];
  });
  t.teardown(() => bundle.remove());
  // strace holds each rename of the runtime (how state.json is written) for 300 ms: a state
  // written once the process was started would still be missing when the process looks.
  const strace = ['-qq', '-o', '/dev/null', '-e', 'trace=rename,renameat,renameat2', '-e', 'inject=rename,renameat,renameat2:delay_exit=300000'];
  const result = await runAsTestUser('strace', [...strace, RUNTIME, 'run', '--bundle', bundle.dir, '--id', 'early', '--state-dir', join(bundle.out, 'state')]);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, 'present\n');
});
