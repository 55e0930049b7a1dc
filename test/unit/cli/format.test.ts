import test from 'ava';
import { formatRows, humanAgo, humanSize, renderTable, renderTemplate } from '../../../src/cli/format.js';
import { UsageError } from '../../../src/errors.js';

test('renderTemplate substitutes fields, nested fields, tabs and json', (t) => {
  const row = { ID: 'abc', Names: ['x', 'y'], Labels: { a: '1' } };
  t.is(renderTemplate('{{.ID}}\\t{{.Names}}', row), 'abc\t[x y]');
  t.is(renderTemplate('{{ .Labels.a }}', row), '1');
  t.is(renderTemplate('{{json .Labels}}', row), '{"a":"1"}');
  t.is(renderTemplate('{{json .}}', { A: 1 }), '{"A":1}');
});

test('renderTemplate rejects unknown fields with the available ones', (t) => {
  const err = t.throws(() => renderTemplate('{{.Nope}}', { ID: 'a' }), { instanceOf: UsageError });
  t.regex(err!.message, /\.Nope/);
  t.regex(err!.hint!, /\.ID/);
});

test('formatRows: default table, json, template and table template', (t) => {
  const rows = [{ ID: 'a1', Size: 10 }, { ID: 'bbbb', Size: 2 }];
  const table = { headers: ['ID', 'SIZE'], cells: (r: Record<string, unknown>) => [String(r.ID), String(r.Size)] };
  t.is(formatRows(rows, undefined, table), 'ID     SIZE\na1     10\nbbbb   2');
  t.deepEqual(JSON.parse(formatRows(rows, 'json', table)), rows);
  t.is(formatRows(rows, '{{.ID}}:{{.Size}}', table), 'a1:10\nbbbb:2');
  t.is(formatRows(rows, 'table {{.ID}}', table), 'ID\na1\nbbbb');
});

test('renderTable pads all but the last column', (t) => {
  t.is(renderTable(['A', 'B'], [['long', 'x']]), 'A      B\nlong   x');
});

test('humanSize uses decimal units like podman', (t) => {
  t.is(humanSize(0), '0 B');
  t.is(humanSize(999), '999 B');
  t.is(humanSize(1500), '1.5 kB');
  t.is(humanSize(124_000_000), '124 MB');
  t.is(humanSize(12_340_000), '12.3 MB');
});

test('humanAgo', (t) => {
  const now = new Date('2026-01-01T12:00:00Z');
  t.is(humanAgo(new Date('2026-01-01T11:59:58Z'), now), '2 seconds ago');
  t.is(humanAgo(new Date('2026-01-01T11:57:00Z'), now), '3 minutes ago');
  t.is(humanAgo(new Date('2026-01-01T11:00:00Z'), now), 'An hour ago');
  t.is(humanAgo(new Date('2025-12-29T12:00:00Z'), now), '3 days ago');
});
