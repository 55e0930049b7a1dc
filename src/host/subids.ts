// Subordinate id ranges from /etc/subuid and /etc/subgid (subuid(5)). Like
// shadow's own lookup and containers/storage, an entry may name the user
// either by login name or by numeric uid, so both are matched.
import { readFileSync } from 'node:fs';
import { log } from '../log.js';

/** One `start:count` range of subordinate ids. */
export interface SubidRange {
  start: number;
  count: number;
}

/** Who the ranges are looked up for. */
export interface SubidOwner {
  /** Login name; null when the uid has no passwd entry. */
  name: string | null;
  uid: number;
}

/** What one subordinate id file holds for a user. */
export interface SubidFileReport {
  file: string;
  /** Whether the file could be read (a missing file means no ranges at all). */
  readable: boolean;
  ranges: SubidRange[];
  /** Sum of the ranges' counts. */
  total: number;
  /** Why the file could not be read, e.g. "ENOENT". */
  error?: string;
}

const MAX_ID = 2 ** 32 - 1;
const DECIMAL = /^[0-9]+$/;

/** One valid line of a subordinate id file. */
export interface SubidEntry extends SubidRange {
  owner: string;
}

/** Parses the valid entries of a subuid/subgid file; malformed lines are skipped with a debug log. */
export function parseSubidEntries(text: string, file = 'subid file'): SubidEntry[] {
  const entries: SubidEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(':');
    const [owner, startText, countText] = fields;
    if (fields.length !== 3 || !owner || !DECIMAL.test(startText ?? '') || !DECIMAL.test(countText ?? '')) {
      log.debug(`${file}:${index + 1}: ignoring malformed line \`${line}\``);
      return;
    }
    const start = Number(startText);
    const count = Number(countText);
    // Ranges must stay inside the 32-bit id space (uid 2^32-1 is the kernel's invalid id).
    if (count === 0 || start + count > MAX_ID) {
      log.debug(`${file}:${index + 1}: ignoring out-of-range line \`${line}\``);
      return;
    }
    entries.push({ owner, start, count });
  });
  return entries;
}

/** The entries that belong to `owner`, by login name or by numeric uid. */
export function rangesOf(entries: SubidEntry[], owner: SubidOwner): SubidRange[] {
  return entries
    .filter((e) => e.owner === owner.name || (DECIMAL.test(e.owner) && Number(e.owner) === owner.uid))
    .map(({ start, count }) => ({ start, count }));
}

/** Extracts the ranges owned by `owner` from the text of a subuid/subgid file. */
export function parseSubids(text: string, owner: SubidOwner, file = 'subid file'): SubidRange[] {
  return rangesOf(parseSubidEntries(text, file), owner);
}

/**
 * The first `count`-aligned start at or above 100000 (useradd's SUB_UID_MIN)
 * that overlaps no existing entry: two users sharing host ids could reach
 * each other's container files.
 */
export function freeRangeStart(entries: SubidRange[], count = 65536, from = 100000): number {
  let start = from;
  for (;;) {
    const end = start + count;
    const clash = entries.find((e) => e.start < end && start < e.start + e.count);
    if (!clash) return start;
    start = Math.max(start + count, Math.ceil((clash.start + clash.count - from) / count) * count + from);
  }
}

/** Reads one subordinate id file: this user's ranges, and every entry (to find a free range). */
export async function readSubids(file: string, owner: SubidOwner): Promise<{ report: SubidFileReport; entries: SubidEntry[] }> {
  let text: string;
  try {
    // Synchronous: a one-line file, read on every container start, where
    // fs/promises' readFile would add several thread-pool round trips.
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    log.debug(`cannot read ${file}: ${code}`);
    return { report: { file, readable: false, ranges: [], total: 0, error: code }, entries: [] };
  }
  const entries = parseSubidEntries(text, file);
  const ranges = rangesOf(entries, owner);
  return { report: { file, readable: true, ranges, total: ranges.reduce((sum, r) => sum + r.count, 0) }, entries };
}
