// What `ps` and `inspect` show of a container, in podman's shapes: the
// STATUS strings ("Up 3 minutes", "Exited (0) 2 seconds ago", "Created"),
// go-units' HumanDuration, the JSON and template fields, and --filter.
import { UsageError } from '../errors.js';
import type { ContainerRecord } from './container-store.js';
import type { ContainerState } from './container-state.js';

/** go-units HumanDuration, which podman uses for CREATED and STATUS. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const minutes = Math.floor(ms / 60_000);
  const hours = Math.round(ms / 3_600_000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

/** podman's STATUS column. */
export function statusText(state: ContainerState, now: number): string {
  switch (state.status) {
    case 'running':
      // The monitor records the start a moment after the container runs: until then it is brand new.
      return `Up ${state.startedAt ? humanDuration(now - Date.parse(state.startedAt)) : humanDuration(0)}`;
    case 'paused':
      return 'Paused';
    case 'created':
      return 'Created';
    case 'exited':
    case 'stopped':
      // No exit record: the monitor died before the container did, so its status was never seen.
      if (state.exitCode === null) return 'Exited (unknown)';
      return state.finishedAt ? `Exited (${state.exitCode}) ${humanDuration(now - Date.parse(state.finishedAt))} ago` : `Exited (${state.exitCode})`;
  }
}

/** podman ps truncates COMMAND to 17 characters (plus "...") unless --no-trunc. */
export function commandText(command: string[], noTrunc: boolean): string {
  const text = command.join(' ');
  return !noTrunc && text.length > 17 ? `${text.slice(0, 17)}...` : text;
}

/** One container as ps sees it. */
export interface PsEntry {
  record: ContainerRecord;
  state: ContainerState;
  /** Bytes in the writable layer and the image's size, with --size. */
  size?: { rw: number; rootFs: number };
}

/** The fields a --format template can use (podman's names). */
export function templateRow(entry: PsEntry, now: number, noTrunc: boolean): Record<string, unknown> {
  const { record, state } = entry;
  const created = Date.parse(record.created);
  return {
    ID: noTrunc ? record.id : record.id.slice(0, 12),
    Image: record.image.name,
    ImageID: record.image.id.replace(/^sha256:/, ''),
    Command: commandText(record.command, noTrunc),
    CreatedAt: new Date(created).toString(),
    CreatedHuman: `${humanDuration(now - created)} ago`,
    RunningFor: `${humanDuration(now - created)} ago`,
    Created: Math.floor(created / 1000),
    Status: statusText(state, now),
    State: state.status,
    Ports: '',
    Names: record.name,
    Labels: labelsText(record.labels),
    Mounts: '',
    Pid: state.pid ?? 0,
    ExitCode: state.exitCode ?? 0,
    Exited: state.status === 'exited' || state.status === 'stopped',
    Size: entry.size ? sizeText(entry.size) : '',
    Restarts: state.restartCount,
  };
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

function sizeText(size: { rw: number; rootFs: number }): string {
  return `${decimalSize(size.rw)} (virtual ${decimalSize(size.rootFs + size.rw)})`;
}

function decimalSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : Number(value.toPrecision(3))}${units[unit]}`;
}

/** `ps --format json`: podman's ListContainer fields. */
export function jsonRow(entry: PsEntry): Record<string, unknown> {
  const { record, state } = entry;
  const created = Date.parse(record.created);
  return {
    AutoRemove: record.autoRemove,
    Command: record.command,
    Created: Math.floor(created / 1000),
    CreatedAt: `${humanDuration(Date.now() - created)} ago`,
    Exited: state.status === 'exited' || state.status === 'stopped',
    ExitedAt: state.finishedAt ? Math.floor(Date.parse(state.finishedAt) / 1000) : -62135596800,
    ExitCode: state.exitCode ?? 0,
    Id: record.id,
    Image: record.image.name,
    ImageID: record.image.id.replace(/^sha256:/, ''),
    Labels: Object.keys(record.labels ?? {}).length > 0 ? record.labels : null,
    Mounts: [],
    Names: [record.name],
    Namespaces: {},
    Networks: [],
    Pid: state.pid ?? 0,
    Ports: null,
    Restarts: state.restartCount,
    ...(entry.size ? { Size: { rwSize: entry.size.rw, rootFsSize: entry.size.rootFs } } : {}),
    StartedAt: state.startedAt ? Math.floor(Date.parse(state.startedAt) / 1000) : -62135596800,
    State: state.status,
    Status: '',
  };
}

/** Parsed --filter values: key → the values given for it. */
export type PsFilters = Map<string, string[]>;

const FILTER_KEYS = new Set(['name', 'id', 'status', 'ancestor', 'label', 'exited']);
const STATUSES = new Set(['created', 'exited', 'paused', 'running', 'unknown', 'stopped']);

/** Parses `--filter key=value` flags; unknown keys and statuses are usage errors. */
export function parseFilters(values: readonly string[]): PsFilters {
  const filters: PsFilters = new Map();
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid filter ${JSON.stringify(value)}: expected key=value`);
    const key = value.slice(0, eq);
    const arg = value.slice(eq + 1);
    if (!FILTER_KEYS.has(key)) throw new UsageError(`invalid filter ${JSON.stringify(key)}`, { hint: `supported filters: ${[...FILTER_KEYS].join(', ')}` });
    if (key === 'status' && !STATUSES.has(arg)) throw new UsageError(`invalid status filter ${JSON.stringify(arg)}`, { hint: `use one of ${[...STATUSES].join(', ')}` });
    if (key === 'exited' && !/^-?\d+$/.test(arg)) throw new UsageError(`invalid exited filter ${JSON.stringify(arg)}: expected an exit code`);
    filters.set(key, [...(filters.get(key) ?? []), arg]);
  }
  return filters;
}

function regexMatch(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern).test(text);
  } catch {
    return text.includes(pattern);
  }
}

/**
 * podman's filter semantics: values of one key are alternatives, different
 * keys must all match, and every label filter must match.
 * `ancestorIds` resolves an ancestor value to image IDs (names resolve through the store).
 */
export function matchesFilters(entry: PsEntry, filters: PsFilters, ancestorIds: (value: string) => string[]): boolean {
  const { record, state } = entry;
  for (const [key, values] of filters) {
    const ok = (() => {
      switch (key) {
        case 'name':
          return values.some((v) => regexMatch(v, record.name));
        case 'id':
          return values.some((v) => record.id.startsWith(v) || regexMatch(`^${v}`, record.id));
        case 'status':
          return values.some((v) => v === state.status);
        case 'exited':
          return (state.status === 'exited' || state.status === 'stopped') && values.some((v) => Number(v) === state.exitCode);
        case 'ancestor':
          return values.some((v) => record.image.name === v || ancestorIds(v).includes(record.image.id));
        case 'label':
          return values.every((v) => {
            const eq = v.indexOf('=');
            const labels = record.labels ?? {};
            return eq < 0 ? Object.hasOwn(labels, v) : labels[v.slice(0, eq)] === v.slice(eq + 1);
          });
        default:
          return false;
      }
    })();
    if (!ok) return false;
  }
  return true;
}
