import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveState, processStartTime, readContainerState, type StateInputs } from '../../../src/runtime/container-state.js';

const none: StateInputs = { runtimeDir: false, container: null, execFifo: false, monitor: null, exit: null, persisted: null, foreground: null, startTimeOf: () => null, frozen: () => false };
const monitor = { monitorPid: 10, monitorStartTime: 100, containerPid: 20, containerStartTime: 200, startedAt: '2026-01-01T00:00:00.000000000Z', restartCount: 0 };

test('a container never started is created', (t) => {
  t.is(deriveState(none).status, 'created');
});

test('a live init with a matching start time is running; exec.fifo means created', (t) => {
  const live = (pid: number) => (pid === 20 ? 200 : pid === 10 ? 100 : null);
  const running = deriveState({ ...none, runtimeDir: true, container: { pid: 20, pidStartTime: 200 }, monitor, startTimeOf: live });
  t.is(running.status, 'running');
  t.is(running.pid, 20);
  t.is(running.startedAt, monitor.startedAt);
  t.true(running.monitorAlive);
  t.is(deriveState({ ...none, runtimeDir: true, container: { pid: 20, pidStartTime: 200 }, execFifo: true, monitor, startTimeOf: live }).status, 'created');
});

test('a live container whose own cgroup is frozen is paused, and keeps its pid', (t) => {
  const live = (pid: number) => (pid === 20 ? 200 : pid === 10 ? 100 : null);
  const frozen = (dir: string) => dir === '/sys/fs/cgroup/box/hutch-x';
  const container = { pid: 20, pidStartTime: 200, cgroupDir: '/sys/fs/cgroup/box/hutch-x' };
  const paused = deriveState({ ...none, runtimeDir: true, container, monitor, startTimeOf: live, frozen });
  t.is(paused.status, 'paused');
  t.is(paused.pid, 20);
  t.is(paused.cgroupDir, '/sys/fs/cgroup/box/hutch-x');
  t.is(deriveState({ ...none, runtimeDir: true, container, monitor, startTimeOf: live }).status, 'running');
  t.is(deriveState({ ...none, runtimeDir: true, container: { pid: 20, pidStartTime: 200 }, monitor, startTimeOf: live, frozen: () => true }).status, 'running', 'no cgroup of its own: never paused');
  t.is(deriveState({ ...none, runtimeDir: true, container, monitor, startTimeOf: () => null, frozen }).cgroupDir, undefined, 'an exited container has no cgroup');
  t.is(deriveState({ ...none, foreground: { status: 'running', pid: 5, cgroupDir: '/sys/fs/cgroup/box/hutch-x' }, startTimeOf: () => 1, frozen }).status, 'paused');
});

test('a reused pid (different start time) is not the container', (t) => {
  const state = deriveState({ ...none, runtimeDir: true, container: { pid: 20, pidStartTime: 200 }, monitor, exit: { exitCode: 137, finishedAt: '2026-01-01T00:00:05.000000000Z' }, startTimeOf: (pid) => (pid === 20 ? 999 : null) });
  t.is(state.status, 'exited');
  t.is(state.exitCode, 137);
  t.is(state.pid, null);
});

test('an init gone without exit.json and a dead monitor is stopped, not running', (t) => {
  const state = deriveState({ ...none, runtimeDir: true, container: { pid: 20, pidStartTime: 200 }, monitor, startTimeOf: () => null });
  t.is(state.status, 'stopped');
  t.false(state.monitorAlive);
  t.is(state.exitCode, null);
});

test('an exit.json older than the current start (a restart) is ignored', (t) => {
  const restarted = { ...monitor, startedAt: '2026-01-01T00:01:00.000000000Z', restartCount: 1 };
  const state = deriveState({ ...none, runtimeDir: true, container: { pid: 21, pidStartTime: 300 }, monitor: restarted, exit: { exitCode: 1, finishedAt: '2026-01-01T00:00:59.000000000Z' }, startTimeOf: (pid) => (pid === 10 ? 100 : null) });
  t.is(state.status, 'stopped');
  t.is(state.restartCount, 1);
});

test('the persisted exit survives the runtime state', (t) => {
  const state = deriveState({ ...none, persisted: { status: 'exited', exitCode: 3, startedAt: 'a', finishedAt: '2026-01-01T00:00:01Z' } });
  t.is(state.status, 'exited');
  t.is(state.exitCode, 3);
});

test('a foreground run counts as running only while its pid lives', (t) => {
  t.is(deriveState({ ...none, foreground: { status: 'running', pid: 5 }, startTimeOf: () => 1 }).status, 'running');
  t.is(deriveState({ ...none, foreground: { status: 'running', pid: 5 } }).status, 'created');
});

test('processStartTime reads field 22 after a command name with spaces and parentheses', (t) => {
  const proc = mkdtempSync(join(tmpdir(), 'h15-proc-'));
  mkdirSync(join(proc, '7'));
  const fields = ['S', ...Array.from({ length: 18 }, (_, i) => String(i)), '424242', '0'];
  writeFileSync(join(proc, '7', 'stat'), `7 (a) b (c)) ${fields.join(' ')}\n`);
  t.is(processStartTime(7, proc), 424242);
  mkdirSync(join(proc, '8'));
  writeFileSync(join(proc, '8', 'stat'), `8 (z) Z ${fields.slice(1).join(' ')}\n`);
  t.is(processStartTime(8, proc), null);
  t.is(processStartTime(9, proc), null);
  t.is(typeof processStartTime(process.pid), 'number');
});

test('readContainerState reads the monitor files from disk', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'h15-state-'));
  const id = 'a'.repeat(64);
  const runtimeRoot = join(base, 'ctr');
  mkdirSync(join(runtimeRoot, id), { recursive: true });
  mkdirSync(join(base, 'c'));
  writeFileSync(join(runtimeRoot, id, 'container.json'), JSON.stringify({ pid: 20, pidStartTime: 200 }));
  writeFileSync(join(runtimeRoot, id, 'monitor.json'), JSON.stringify(monitor));
  writeFileSync(join(runtimeRoot, id, 'exit.json'), JSON.stringify({ exitCode: 0, finishedAt: '2026-01-01T00:00:02.000000000Z' }));
  const state = readContainerState({ containerDir: join(base, 'c'), runtimeRoot, runroot: base, id }, () => null);
  t.is(state.status, 'exited');
  t.is(state.exitCode, 0);
  t.true(state.hasRuntimeState);
});

test('readContainerState without runtime state reads the persisted exit, a foreground run, or finds nothing: created', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'h15-state-'));
  const id = 'b'.repeat(64);
  const location = { containerDir: join(base, 'c'), runtimeRoot: join(base, 'ctr'), runroot: base, id };
  mkdirSync(location.containerDir);
  t.is(readContainerState(location, () => null).status, 'created');
  mkdirSync(join(base, id));
  writeFileSync(join(base, id, 'state.json'), JSON.stringify({ status: 'running', pid: 5 }));
  t.is(readContainerState(location, (pid) => (pid === 5 ? 1 : null)).status, 'running');
  writeFileSync(join(location.containerDir, 'state.json'), JSON.stringify({ status: 'exited', exitCode: 4, startedAt: 'a', finishedAt: '2026-01-01T00:00:01Z' }));
  const exited = readContainerState(location, () => null);
  t.is(exited.status, 'exited');
  t.is(exited.exitCode, 4);
  t.false(exited.hasRuntimeState);
});
