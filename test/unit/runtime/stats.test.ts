import test from 'ava';
import { parseNetDev, parseProcIo, statsRow, withCgroupUsage, type StatsSample } from '../../../src/runtime/stats.js';
import { humanSize } from '../../../src/cli/format.js';

test('parseNetDev sums every interface', (t) => {
  const text = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0',
    '  eth0:    2000      20    0    0    0     0          0         0      500       5    0    0    0     0       0          0',
  ].join('\n');
  t.deepEqual(parseNetDev(text), { rx: 3000, tx: 1500 });
});

test('parseProcIo reads the storage bytes, not rchar/wchar', (t) => {
  t.deepEqual(parseProcIo('rchar: 999\nwchar: 888\nread_bytes: 4096\nwrite_bytes: 8192\n'), { read: 4096, write: 8192 });
});

test('statsRow computes CPU % over the interval and memory against the limit', (t) => {
  const base: StatsSample = { cpuTicks: 100, sampledAt: 0, memoryBytes: 0, pids: 1, netRxBytes: 0, netTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0 };
  const after: StatsSample = { ...base, cpuTicks: 150, sampledAt: 1000, memoryBytes: 50_000_000, pids: 3, netRxBytes: 1500, blockWriteBytes: 2_000_000 };
  const row = statsRow('a'.repeat(64), 'web', base, after, humanSize, 1_000_000_000);
  t.is(row.ID, 'a'.repeat(12));
  t.is(row.CPUPerc, '50.00%');
  t.is(row.MemUsage, '50 MB / 1 GB');
  t.is(row.MemPerc, '5.00%');
  t.is(row.NetIO, '1.5 kB / 0 B');
  t.is(row.BlockIO, '0 B / 2 MB');
  t.is(row.PIDs, '3');
});

test('a container\'s own cgroup replaces the /proc counters it has, and its memory.max is the limit', (t) => {
  const sample: StatsSample = { cpuTicks: 7, sampledAt: 0, memoryBytes: 1, pids: 1, netRxBytes: 5, netTxBytes: 6, blockReadBytes: 0, blockWriteBytes: 0 };
  const full = withCgroupUsage(sample, { cpuUsec: 2_500_000, memoryBytes: 4096, memoryLimit: 1 << 20, pids: 4 });
  t.deepEqual(full, { ...sample, cpuTicks: 250, memoryBytes: 4096, pids: 4, memoryLimit: 1 << 20 });
  t.deepEqual(withCgroupUsage(sample, { cpuUsec: 1_000_000, memoryBytes: null, memoryLimit: null, pids: null }), { ...sample, cpuTicks: 100 }, 'without controllers only cpu.stat');
  const row = statsRow('a'.repeat(64), 'web', sample, full, humanSize, 1_000_000_000);
  t.is(row.MemUsage, '4.1 kB / 1.05 MB');
});
