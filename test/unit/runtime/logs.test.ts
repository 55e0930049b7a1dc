import test from 'ava';
import { appendFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLine, LineAssembler, LogFileReader, parseLogRecord, parseSince, printLogs } from '../../../src/runtime/logs.js';
import { UsageError } from '../../../src/errors.js';

test('k8s-file records parse, including empty and partial ones', (t) => {
  t.deepEqual(parseLogRecord('2026-11-22T14:18:41.827432685Z stdout F hello world'), { time: '2026-11-22T14:18:41.827432685Z', stream: 'stdout', partial: false, text: 'hello world' });
  t.deepEqual(parseLogRecord('2026-11-22T14:18:41.827432685Z stderr P  lead'), { time: '2026-11-22T14:18:41.827432685Z', stream: 'stderr', partial: true, text: ' lead' });
  t.is(parseLogRecord('2026-11-22T14:18:41.827432685Z stdout F')!.text, '');
  t.is(parseLogRecord('garbage'), null);
  t.is(parseLogRecord('2026 stdin F x'), null);
});

test('partial pieces join per stream without mixing streams', (t) => {
  const a = new LineAssembler();
  t.is(a.push({ time: 't1', stream: 'stdout', partial: true, text: 'hel' }), null);
  t.deepEqual(a.push({ time: 't2', stream: 'stderr', partial: false, text: 'err' }), { time: 't2', stream: 'stderr', text: 'err', complete: true });
  t.deepEqual(a.push({ time: 't3', stream: 'stdout', partial: false, text: 'lo' }), { time: 't1', stream: 'stdout', text: 'hello', complete: true });
  a.push({ time: 't4', stream: 'stdout', partial: true, text: 'tail' });
  t.deepEqual(a.flush(), [{ time: 't4', stream: 'stdout', text: 'tail', complete: false }]);
  t.is(formatLine({ time: 'T', stream: 'stdout', text: 'x', complete: true }, true), 'T x\n');
});

test('--since accepts durations, Unix times and RFC 3339', (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.is(parseSince('10m', now), now - 600_000);
  t.is(parseSince('1h30m', now), now - 5_400_000);
  t.is(parseSince('1700000000', now), 1_700_000_000_000);
  t.is(parseSince('2025-12-31T23:00:00Z', now), now - 3_600_000);
  t.throws(() => parseSince('yesterday', now), { instanceOf: UsageError });
});

test('printLogs: tail, streams, rotation file first', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'h15-logs-'));
  const path = join(dir, 'ctr.log');
  writeFileSync(`${path}.1`, '2026-01-01T00:00:00.000000001Z stdout F one\n');
  writeFileSync(path, ['2026-01-01T00:00:01.000000000Z stdout P tw', '2026-01-01T00:00:02.000000000Z stderr F oops', '2026-01-01T00:00:03.000000000Z stdout F o', '2026-01-01T00:00:04.000000000Z stdout F three', ''].join('\n'));
  const out: string[] = [];
  await printLogs(path, { timestamps: false, follow: false }, async (stream, text) => void out.push(`${stream}:${text}`), () => true);
  t.deepEqual(out, ['stdout:one\n', 'stderr:oops\n', 'stdout:two\n', 'stdout:three\n']);
  const tail: string[] = [];
  await printLogs(path, { tail: 2, timestamps: true, follow: false }, async (_s, text) => void tail.push(text), () => true);
  t.deepEqual(tail, ['2026-01-01T00:00:01.000000000Z two\n', '2026-01-01T00:00:04.000000000Z three\n']);
  const since: string[] = [];
  await printLogs(path, { sinceMs: Date.parse('2026-01-01T00:00:02Z'), timestamps: false, follow: false }, async (_s, text) => void since.push(text), () => true);
  t.deepEqual(since, ['oops\n', 'three\n']);
});

test('the reader drains a rotated file before switching to the new one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'h15-rot-'));
  const path = join(dir, 'ctr.log');
  writeFileSync(path, 'a\n');
  const reader = new LogFileReader(path);
  t.deepEqual(reader.readNew(), ['a']);
  appendFileSync(path, 'b\nc');
  renameSync(path, `${path}.1`);
  writeFileSync(path, 'd\n');
  t.deepEqual(reader.readNew(), ['b', 'd']);
  reader.close();
});
