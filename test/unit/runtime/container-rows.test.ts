import test from 'ava';
import { commandText, humanDuration, jsonRow, matchesFilters, parseFilters, statusText, templateRow, type PsEntry } from '../../../src/runtime/container-rows.js';
import type { ContainerState } from '../../../src/runtime/container-state.js';
import { UsageError } from '../../../src/errors.js';

const now = Date.parse('2026-01-01T01:00:00Z');
const base: ContainerState = { status: 'created', pid: null, exitCode: null, startedAt: null, finishedAt: null, restartCount: 0, monitorAlive: false, hasRuntimeState: false };
const entry = (state: Partial<ContainerState>, extra: Partial<PsEntry['record']> = {}): PsEntry => ({
  record: {
    id: 'ab'.repeat(32),
    name: 'web',
    image: { id: `sha256:${'cd'.repeat(32)}`, name: 'localhost/hutch-examples/busybox:latest' },
    created: '2026-01-01T00:57:00Z',
    command: ['sh', '-c', 'while true; do sleep 1; done'],
    autoRemove: false,
    stopSignal: 'SIGTERM',
    labels: { tier: 'front', env: 'dev' },
    createOptions: {},
    ...extra,
  },
  state: { ...base, ...state },
});

test('HumanDuration follows go-units', (t) => {
  t.is(humanDuration(500), 'Less than a second');
  t.is(humanDuration(1000), '1 second');
  t.is(humanDuration(2000), '2 seconds');
  t.is(humanDuration(61_000), 'About a minute');
  t.is(humanDuration(3 * 60_000), '3 minutes');
  t.is(humanDuration(3_600_000), 'About an hour');
  t.is(humanDuration(5 * 3_600_000), '5 hours');
  t.is(humanDuration(3 * 86_400_000), '3 days');
  t.is(humanDuration(20 * 86_400_000), '2 weeks');
});

test('STATUS strings as podman prints them', (t) => {
  t.is(statusText({ ...base, status: 'running', startedAt: '2026-01-01T00:57:00Z' }, now), 'Up 3 minutes');
  t.is(statusText({ ...base, status: 'exited', exitCode: 0, finishedAt: '2026-01-01T00:59:58Z' }, now), 'Exited (0) 2 seconds ago');
  t.is(statusText({ ...base, status: 'exited', exitCode: 137, finishedAt: '2026-01-01T00:00:00Z' }, now), 'Exited (137) About an hour ago');
  t.is(statusText(base, now), 'Created');
  t.is(statusText({ ...base, status: 'stopped' }, now), 'Exited (unknown)');
});

test('COMMAND is cut at 17 characters unless --no-trunc', (t) => {
  t.is(commandText(['sh', '-c', 'while true; do sleep 1; done'], false), 'sh -c while true;...');
  t.is(commandText(['sh', '-c', 'while true; do sleep 1; done'], true), 'sh -c while true; do sleep 1; done');
  t.is(commandText(['top'], false), 'top');
});

test('template fields: short and full IDs, names, state', (t) => {
  const row = templateRow(entry({ status: 'running', pid: 9, startedAt: '2026-01-01T00:59:00Z' }), now, false);
  t.is(row.ID, 'ab'.repeat(6));
  t.is(row.Names, 'web');
  t.is(row.State, 'running');
  t.is(row.Status, 'Up About a minute');
  t.is(row.RunningFor, '3 minutes ago');
  t.is(templateRow(entry({}), now, true).ID, 'ab'.repeat(32));
});

test('json rows carry podman fields', (t) => {
  const row = jsonRow(entry({ status: 'exited', exitCode: 2, finishedAt: '2026-01-01T00:59:00Z' }));
  t.is(row.Id, 'ab'.repeat(32));
  t.deepEqual(row.Names, ['web']);
  t.is(row.ExitCode, 2);
  t.is(row.Exited, true);
  t.is(row.State, 'exited');
});

test('filters: same key ORs, different keys AND, labels all must match', (t) => {
  const running = entry({ status: 'running', pid: 1 });
  const noAncestor = () => [];
  t.true(matchesFilters(running, parseFilters(['status=exited', 'status=running']), noAncestor));
  t.false(matchesFilters(running, parseFilters(['status=running', 'name=^db$']), noAncestor));
  t.true(matchesFilters(running, parseFilters(['name=we', 'id=abab']), noAncestor));
  t.false(matchesFilters(running, parseFilters(['id=cd']), noAncestor));
  t.true(matchesFilters(running, parseFilters(['label=tier=front', 'label=env']), noAncestor));
  t.false(matchesFilters(running, parseFilters(['label=tier=front', 'label=env=prod']), noAncestor));
  t.true(matchesFilters(running, parseFilters(['ancestor=busybox']), () => [`sha256:${'cd'.repeat(32)}`]));
  t.false(matchesFilters(running, parseFilters(['ancestor=alpine']), noAncestor));
  t.true(matchesFilters(entry({ status: 'exited', exitCode: 3 }), parseFilters(['exited=3']), noAncestor));
});

test('bad filters are usage errors', (t) => {
  for (const bad of ['status=sleeping', 'color=red', 'name', 'exited=x']) t.throws(() => parseFilters([bad]), { instanceOf: UsageError }, bad);
});
