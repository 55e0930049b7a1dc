// Output formatting shared by listing commands: podman's `--format json`,
// Go-template-like `{{.Field}}` strings (with `table` prefix and `\t`), and
// aligned tables.
import { UsageError } from '../errors.js';

/** A row for output: field name → printable value. */
export type Row = Record<string, unknown>;

const FIELD = /\{\{\s*(json\s+)?\.([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*)?\s*\}\}/g;

function lookup(row: Row, path: string | undefined): unknown {
  if (path === undefined) return row;
  let value: unknown = row;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function printable(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (Array.isArray(value)) return `[${value.map(printable).join(' ')}]`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Renders one row through a Go-template-like format string; unknown fields are a UsageError. */
export function renderTemplate(template: string, row: Row): string {
  const body = template.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return body.replace(FIELD, (_match, json: string | undefined, path: string | undefined) => {
    const value = lookup(row, path);
    if (path !== undefined && value === undefined && !(path.split('.')[0]! in row)) {
      throw new UsageError(`template field .${path} does not exist`, {
        hint: `available fields: ${Object.keys(row).map((k) => `.${k}`).join(', ')}`,
      });
    }
    return json ? JSON.stringify(value ?? null) : printable(value);
  });
}

/** Lays rows out as left-aligned columns separated by three spaces (podman's tabwriter style). */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * Prints rows according to `--format`: undefined → the default table,
 * `json` → a JSON array, otherwise a template per row (`table ...` adds a header line).
 */
export function formatRows(
  rows: Row[],
  format: string | undefined,
  table: { headers: string[]; cells: (row: Row) => string[] },
): string {
  if (format === undefined || format === '' || format === 'table') {
    return renderTable(table.headers, rows.map(table.cells));
  }
  if (format === 'json') return JSON.stringify(rows, null, 2);
  if (format.startsWith('table ')) {
    const template = format.slice('table '.length);
    const headerRow: Row = new Proxy({}, { get: (_t, key) => String(key).toUpperCase(), has: () => true });
    const lines = [renderTemplate(template, headerRow), ...rows.map((r) => renderTemplate(template, r))];
    return lines.join('\n');
  }
  return rows.map((r) => renderTemplate(format, r)).join('\n');
}

/** Human-readable size in podman's style (decimal units: "1.2 MB", "512 kB"). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${Number(value.toFixed(digits))} ${units[unit]}`;
}

/** "3 minutes ago"-style relative time, as podman prints CREATED. */
export function humanAgo(date: Date, now = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - date.getTime()) / 1000));
  const steps: [number, string][] = [
    [60, 'second'],
    [60, 'minute'],
    [24, 'hour'],
    [7, 'day'],
    [4.35, 'week'],
    [12, 'month'],
    [Number.POSITIVE_INFINITY, 'year'],
  ];
  if (seconds < 1) return 'Less than a second ago';
  let value = seconds;
  for (const [size, name] of steps) {
    if (value < size) {
      const n = Math.floor(value);
      return `${n === 1 ? (name === 'hour' ? 'An' : 'A') : n} ${name}${n === 1 ? '' : 's'} ago`;
    }
    value /= size;
  }
  return 'a long time ago';
}
