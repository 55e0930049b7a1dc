import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupFrozen, parseFlatKeyed, readCgroupUsage, setCgroupFrozen } from '../../../src/runtime/cgroup.js';
import { HutchError } from '../../../src/errors.js';

async function fixture(t: { teardown: (fn: () => Promise<void>) => void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hutch-cgroup-dir-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

test('flat keyed files: cgroup.events, cpu.stat', (t) => {
  t.deepEqual(parseFlatKeyed('populated 1\nfrozen 0\n'), { populated: 1, frozen: 0 });
  t.deepEqual(parseFlatKeyed('usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nnr_periods 0\n'), { usage_usec: 1234, user_usec: 1000, system_usec: 234, nr_periods: 0 });
});

test('usage from a cgroup with every controller, and from one with none', async (t) => {
  const full = await fixture(t, { 'memory.current': '4096\n', 'memory.max': '67108864\n', 'cpu.stat': 'usage_usec 250\n', 'pids.current': '3\n' });
  t.deepEqual(readCgroupUsage(full), { memoryBytes: 4096, memoryLimit: 67108864, cpuUsec: 250, pids: 3 });
  const unlimited = await fixture(t, { 'memory.current': '4096\n', 'memory.max': 'max\n', 'cpu.stat': 'usage_usec 9\n' });
  t.deepEqual(readCgroupUsage(unlimited), { memoryBytes: 4096, memoryLimit: null, cpuUsec: 9, pids: null });
});

test('paused means cgroup.freeze reads 1', async (t) => {
  t.true(cgroupFrozen(await fixture(t, { 'cgroup.freeze': '1\n' })));
  t.false(cgroupFrozen(await fixture(t, { 'cgroup.freeze': '0\n' })));
  t.false(cgroupFrozen(join(tmpdir(), 'hutch-no-such-cgroup')));
});

test('freezing a cgroup that is gone names the file', async (t) => {
  const err = await t.throwsAsync(setCgroupFrozen(join(tmpdir(), 'hutch-no-such-cgroup'), true), { instanceOf: HutchError });
  t.regex(err!.message, /cannot write 1 to .*hutch-no-such-cgroup\/cgroup.freeze: ENOENT/);
  t.regex(err!.hint!, /exited/);
});
