import test from 'ava';
import { userInfo } from 'node:os';
import { SystemError } from '../../../src/errors.js';
import { loadNative } from '../../../src/native/index.js';
import type { SpawnProcessOptions } from '../../../src/native/addon-types.js';

const native = loadNative();

interface Outcome {
  pid: number;
  err: Error | null;
  code: number | null;
  signal: number | null;
}

function sh(script: string, options: SpawnProcessOptions = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const pid: number = native.spawnProcess('/bin/sh', ['sh', '-c', script], options, (err, code, signal) => resolve({ pid, err, code, signal }));
  });
}

test('the exit code and the ending signal come back', async (t) => {
  t.like(await sh('exit 7'), { err: null, code: 7, signal: null });
  t.like(await sh('kill -KILL $$'), { err: null, code: null, signal: 9 });
});

test('the child is reaped before onExit runs', async (t) => {
  const { pid } = await sh('exit 0');
  t.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
});

test('fds 0-2 reach the child although Node marks them close-on-exec', async (t) => {
  t.like(await sh('[ -e /proc/self/fd/0 ] && [ -e /proc/self/fd/1 ] && [ -e /proc/self/fd/2 ]'), { code: 0 });
});

test('nullStdin gives the child /dev/null as fd 0', async (t) => {
  t.like(await sh('[ "$(readlink /proc/self/fd/0)" = /dev/null ]', { nullStdin: true }), { code: 0 });
});

test('newSession makes the child a session leader; without it, it stays in ours', async (t) => {
  // Field 6 of /proc/PID/stat is the session id.
  const ownSession = '[ "$(cut -d" " -f6 /proc/$$/stat)" = "$$" ]';
  t.like(await sh(ownSession, { newSession: true }), { code: 0 });
  t.like(await sh(ownSession), { code: 1 });
});

test('signals Node ignores are back to their defaults in the child, and none is blocked', async (t) => {
  // Node ignores SIGPIPE, and an ignored signal survives exec. Above 31 are
  // glibc's internal signals, which posix_spawn leaves ignored (hutch-runtime
  // restores them: test/e2e/run-exit.test.ts).
  const script = 'ign=$(sed -n "s/^SigIgn:[[:space:]]*//p" /proc/self/status); blk=$(sed -n "s/^SigBlk:[[:space:]]*//p" /proc/self/status); [ $((0x$ign & 0x7fffffff)) -eq 0 ] && [ $((0x$blk)) -eq 0 ]';
  t.like(await sh(script), { code: 0 });
});

test('a program that cannot start throws a SystemError naming it', (t) => {
  const err = t.throws(() => native.spawnProcess('/nonexistent/program', ['program'], {}, () => t.fail()), { instanceOf: SystemError });
  t.is(err?.message, 'posix_spawn `/nonexistent/program`: ENOENT (No such file or directory)');
});

test('passwdName looks the uid up in the passwd database', (t) => {
  t.is(native.passwdName(process.getuid!()), userInfo().username);
  t.is(native.passwdName(2147483646), null);
});
