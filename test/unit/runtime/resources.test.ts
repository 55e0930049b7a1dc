import test from 'ava';
import { cgroupV2Files, parseCpus, parseMemory, parsePidsLimit, requireEnforceable, translateResources } from '../../../src/runtime/resources.js';
import { HostError, UsageError } from '../../../src/errors.js';

test('memory sizes use binary units', (t) => {
  t.is(parseMemory('512m'), 512 * 1024 * 1024);
  t.is(parseMemory('1g'), 1024 ** 3);
  t.is(parseMemory('1.5G'), 1.5 * 1024 ** 3);
  t.is(parseMemory('10485760'), 10485760);
  for (const bad of ['', 'lots', '-1m', '1x', '1k']) t.throws(() => parseMemory(bad), { instanceOf: UsageError }, bad);
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

test('translation to linux.resources and cgroup v2 files', (t) => {
  const resources = translateResources({ memory: '64m', cpus: '2', pidsLimit: '50' })!;
  t.deepEqual(resources, { memory: { limit: 64 * 1024 * 1024 }, cpu: { quota: 200000, period: 100000 }, pids: { limit: 50 } });
  t.deepEqual(cgroupV2Files(resources), { 'memory.max': String(64 * 1024 * 1024), 'cpu.max': '200000 100000', 'pids.max': '50' });
  t.is(translateResources({}), undefined);
  t.is(translateResources({ pidsLimit: '-1' }), undefined);
});

test('limits are refused with the reason when the host cannot enforce them', (t) => {
  const resources = { memory: { limit: 1 << 30 } };
  const v1 = t.throws(() => requireEnforceable(resources, { version: 'v1', path: null, current: null, userService: null }), { instanceOf: HostError });
  t.regex(v1!.message, /--memory: .*cgroup v2.*cgroup v1/);
  const noService = t.throws(() => requireEnforceable(resources, { version: 'v2', path: '/user.slice', current: null, userService: null }), { instanceOf: HostError });
  t.regex(noService!.message, /no user@UID.service/);
  const missing = t.throws(() => requireEnforceable(resources, { version: 'v2', path: '/', current: null, userService: { path: '/u', writable: true, controllers: ['pids'], subtreeControl: [] } }), { instanceOf: HostError });
  t.regex(missing!.message, /missing controllers \(has: pids\)/);
});
