// User-namespace id mappings, as podman rootless builds them. Podman works
// inside its own rootless namespace (0 → the user, 1..N → the subordinate
// ranges) and maps the container relative to that; hutch has no such middle
// namespace, so the same mappings are composed down to host ids here.
import { HostError, UsageError } from '../errors.js';
import type { SubidRange } from '../host/subids.js';
import { log } from '../log.js';
import type { OciIdMapping } from './oci-types.js';

/** Who runs hutch and which subordinate ids they own. */
export interface IdHost {
  uid: number;
  gid: number;
  subuidRanges: readonly SubidRange[];
  subgidRanges: readonly SubidRange[];
}

/** The container's uid and gid maps. */
export interface IdMappings {
  uidMappings: OciIdMapping[];
  gidMappings: OciIdMapping[];
  /** No subordinate ranges: only the caller's own id is mapped (setgroups must be denied). */
  singleId: boolean;
}

/** A piece of the "podman rootless namespace": ids [inner, inner+size) are host ids [host, host+size). */
interface Segment {
  inner: number;
  host: number;
  size: number;
}

function middleNamespace(ownId: number, ranges: readonly SubidRange[], asRoot: boolean): Segment[] {
  const segments: Segment[] = [];
  // As root there is no "own id" worth mapping: container root must never be host root.
  let next = 0;
  if (!asRoot) segments.push({ inner: next++, host: ownId, size: 1 });
  for (const r of ranges) {
    if (r.count <= 0) continue;
    segments.push({ inner: next, host: r.start, size: r.count });
    next += r.count;
  }
  return segments;
}

/** Composes container→middle mappings with the middle namespace into container→host mappings. */
function compose(mappings: readonly OciIdMapping[], middle: readonly Segment[]): OciIdMapping[] {
  const out: OciIdMapping[] = [];
  for (const m of mappings) {
    for (const s of middle) {
      const lo = Math.max(m.hostID, s.inner);
      const hi = Math.min(m.hostID + m.size, s.inner + s.size);
      if (lo >= hi) continue;
      const piece = { containerID: m.containerID + (lo - m.hostID), hostID: s.host + (lo - s.inner), size: hi - lo };
      const last = out[out.length - 1];
      if (last && last.containerID + last.size === piece.containerID && last.hostID + last.size === piece.hostID) last.size += piece.size;
      else out.push(piece);
    }
  }
  return out;
}

/** podman's getRootlessKeepIDMapping: the user's id stays itself, the ranges fill below and above it. */
function keepIdInMiddle(id: number, haveRanges: boolean, maxId: number): OciIdMapping[] {
  const maps: OciIdMapping[] = [];
  if (haveRanges && id !== 0) maps.push({ containerID: 0, hostID: 1, size: Math.min(id, maxId) });
  maps.push({ containerID: id, hostID: 0, size: 1 });
  if (maxId > id) maps.push({ containerID: id + 1, hostID: id + 1, size: maxId - id });
  return maps;
}

function total(ranges: readonly SubidRange[]): number {
  return ranges.reduce((n, r) => n + Math.max(0, r.count), 0);
}

function mapOne(ownId: number, ranges: readonly SubidRange[], userns: 'default' | 'keep-id', asRoot: boolean): OciIdMapping[] {
  const middle = middleNamespace(ownId, ranges, asRoot);
  const size = middle.reduce((n, s) => n + s.size, 0);
  if (userns === 'keep-id') return compose(keepIdInMiddle(ownId, ranges.length > 0, total(ranges)), middle);
  return compose([{ containerID: 0, hostID: 0, size }], middle);
}

/** Whether `id` inside the container is mapped by `mappings`. */
export function isMapped(mappings: readonly OciIdMapping[], id: number): boolean {
  return mappings.some((m) => id >= m.containerID && id < m.containerID + m.size);
}

/**
 * The container's mappings. Default: container 0 → the caller, 1..N → the
 * subordinate ranges. keep-id: the caller's id unchanged inside, the ranges
 * around it. No ranges: only the caller's id (a warning says what is lost).
 * As root: only the ranges root owns in /etc/subuid, so container root is never host root.
 */
export function idMappings(host: IdHost, userns: 'default' | 'keep-id'): IdMappings {
  const asRoot = host.uid === 0;
  if (asRoot) {
    if (userns === 'keep-id') {
      throw new UsageError('--userns=keep-id: running as root, keeping your id would make container root the host root', {
        hint: 'run hutch as an ordinary user for keep-id',
      });
    }
    if (host.subuidRanges.length === 0 || host.subgidRanges.length === 0) {
      throw new HostError('ENOSUBIDS', 'running as root, hutch needs subordinate id ranges for root in /etc/subuid and /etc/subgid', {
        hint: 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 root',
      });
    }
    for (const r of [...host.subuidRanges, ...host.subgidRanges]) {
      if (r.start === 0) {
        throw new HostError('ENOSUBIDS', `root's subordinate range ${r.start}:${r.count} includes id 0`, {
          hint: 'give root a range that starts above 0 in /etc/subuid and /etc/subgid',
        });
      }
    }
  }
  const singleId = !asRoot && (host.subuidRanges.length === 0 || host.subgidRanges.length === 0);
  if (singleId) {
    log.warnOnce(
      'single-id-mapping',
      `no subordinate id ranges for uid ${host.uid}: only your own id is mapped into the container (files owned by other ids in the image appear as nobody); add ranges with \`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER\``,
    );
  }
  return {
    uidMappings: mapOne(host.uid, singleId ? [] : host.subuidRanges, userns, asRoot),
    gidMappings: mapOne(host.gid, singleId ? [] : host.subgidRanges, userns, asRoot),
    singleId,
  };
}
