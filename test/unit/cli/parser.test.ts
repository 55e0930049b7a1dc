import test from 'ava';
import { viaYargs } from '../../helpers/parse-with-yargs.js';

test('a single-value flag given twice keeps its last value, as in podman', async (t) => {
  const parsed = (await viaYargs(['run', '--hostname', 'a', '--hostname=b', '--rm', '--rm=false', 'img'])) as Record<string, unknown>;
  t.is(parsed.hostname, 'b');
  t.is(parsed.rm, false);
  const exec = (await viaYargs(['exec', '-u', '1', '--user', '2', 'c1', 'id'])) as Record<string, unknown>;
  t.is(exec.user, '2');
  t.is(exec.u, '2');
  t.is(((await viaYargs(['--log-level', 'debug', 'ps', '--log-level=error'])) as Record<string, unknown>)['log-level'], 'error');
});

test('list flags and variadic positionals keep every value', async (t) => {
  const parsed = (await viaYargs(['run', '-e', 'A=1', '--env', 'B', '-v', '/a:/a', '--volume=/b:/b', 'img'])) as Record<string, unknown>;
  t.deepEqual(parsed.env, ['A=1', 'B']);
  t.deepEqual(parsed.volume, ['/a:/a', '/b:/b']);
  t.deepEqual(((await viaYargs(['rm', '-f', 'a', 'b', 'c'])) as Record<string, unknown>).containers, ['a', 'b', 'c']);
});

test("a container's arguments are passed on as typed, not read as numbers", async (t) => {
  const parsed = (await viaYargs(['run', 'img', 'echo', '1e3', '0x10', '007', '-1'])) as Record<string, unknown>;
  t.deepEqual(parsed['--'], ['echo', '1e3', '0x10', '007', '-1']);
  const exec = (await viaYargs(['exec', 'c1', 'echo', '1.50'])) as Record<string, unknown>;
  t.deepEqual(exec['--'], ['echo', '1.50']);
});
