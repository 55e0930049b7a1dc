import test from 'ava';
import { limitFlags, parseCpus, parseMemory, parseMemorySwap, parsePidsLimit, translateResources } from '../../../src/spec/resources.js';
import { UsageError } from '../../../src/errors.js';

test('memory sizes use binary units', (t) => {
  t.is(parseMemory('512m'), 512 * 1024 * 1024);
  t.is(parseMemory('1g'), 1024 ** 3);
  t.is(parseMemory('1.5G'), 1.5 * 1024 ** 3);
  t.is(parseMemory('10485760'), 10485760);
  for (const bad of ['', 'lots', '-1m', '1x', '1k']) t.throws(() => parseMemory(bad), { instanceOf: UsageError }, bad);
});

test('--memory-swap is docker\'s memory+swap total; twice --memory by default', (t) => {
  const m = 64 * 1024 * 1024;
  t.is(parseMemorySwap(undefined, m), 2 * m);
  t.is(parseMemorySwap('-1', m), -1);
  t.is(parseMemorySwap('64m', m), m, 'equal to --memory: no swap');
  t.is(parseMemorySwap('1g', m), 1024 ** 3);
  t.throws(() => parseMemorySwap('32m', m), { instanceOf: UsageError, message: /must be at least --memory/ });
  t.throws(() => parseMemorySwap('x', m), { instanceOf: UsageError });
});

test('cpus become a CFS quota over a 100 ms period', (t) => {
  t.deepEqual(parseCpus('1.5'), { quota: 150000, period: 100000 });
  t.deepEqual(parseCpus('0.5'), { quota: 50000, period: 100000 });
  for (const bad of ['0', '-1', 'two', '0.001']) t.throws(() => parseCpus(bad), { instanceOf: UsageError }, bad);
});

test('pids-limit: 0 and -1 mean unlimited', (t) => {
  t.is(parsePidsLimit('100'), 100);
  t.is(parsePidsLimit('-1'), undefined);
  t.is(parsePidsLimit('0'), undefined);
  t.throws(() => parsePidsLimit('-5'), { instanceOf: UsageError });
});

test('translation to linux.resources', (t) => {
  const resources = translateResources({ memory: '64m', cpus: '2', pidsLimit: '50' })!;
  t.deepEqual(resources, { memory: { limit: 64 * 1024 * 1024, swap: 128 * 1024 * 1024 }, cpu: { quota: 200000, period: 100000 }, pids: { limit: 50 } });
  t.deepEqual(limitFlags(resources), ['--memory', '--cpus', '--pids-limit']);
  t.deepEqual(translateResources({ memory: '64m', memorySwap: '-1' }), { memory: { limit: 64 * 1024 * 1024, swap: -1 } });
  t.is(translateResources({}), undefined);
  t.is(translateResources({ pidsLimit: '-1' }), undefined);
  t.throws(() => translateResources({ memorySwap: '1g' }), { instanceOf: UsageError, message: /--memory-swap needs --memory/ });
});
