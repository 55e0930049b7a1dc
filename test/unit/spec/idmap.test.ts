import test from 'ava';
import { HostError, UsageError } from '../../../src/errors.js';
import { idMappings, isMapped } from '../../../src/spec/idmap.js';

const user = { uid: 1001, gid: 1001, subuidRanges: [{ start: 100000, count: 65536 }], subgidRanges: [{ start: 100000, count: 65536 }] };

test('default: 0 → the user, 1..N → the subordinate range', (t) => {
  const m = idMappings(user, 'default');
  t.deepEqual(m.uidMappings, [
    { containerID: 0, hostID: 1001, size: 1 },
    { containerID: 1, hostID: 100000, size: 65536 },
  ]);
  t.deepEqual(m.gidMappings, m.uidMappings);
  t.false(m.singleId);
});

test('default with several ranges: they follow each other inside', (t) => {
  const m = idMappings({ ...user, subuidRanges: [{ start: 100000, count: 10 }, { start: 300000, count: 5 }] }, 'default');
  t.deepEqual(m.uidMappings, [
    { containerID: 0, hostID: 1001, size: 1 },
    { containerID: 1, hostID: 100000, size: 10 },
    { containerID: 11, hostID: 300000, size: 5 },
  ]);
});

test('keep-id: the user keeps their id, the range fills below and above (podman)', (t) => {
  const m = idMappings(user, 'keep-id');
  t.deepEqual(m.uidMappings, [
    { containerID: 0, hostID: 100000, size: 1001 },
    { containerID: 1001, hostID: 1001, size: 1 },
    { containerID: 1002, hostID: 101001, size: 64535 },
  ]);
  const covered = m.uidMappings.reduce((n, r) => n + r.size, 0);
  t.is(covered, 65537);
});

test('keep-id across two ranges splits the pieces at the range boundary', (t) => {
  const m = idMappings({ ...user, uid: 5, subuidRanges: [{ start: 1000, count: 3 }, { start: 2000, count: 4 }] }, 'keep-id');
  t.deepEqual(m.uidMappings, [
    { containerID: 0, hostID: 1000, size: 3 },
    { containerID: 3, hostID: 2000, size: 2 },
    { containerID: 5, hostID: 5, size: 1 },
    { containerID: 6, hostID: 2002, size: 2 },
  ]);
});

test('single-id fallback: only the caller, flagged', (t) => {
  const m = idMappings({ uid: 1001, gid: 1001, subuidRanges: [], subgidRanges: [] }, 'default');
  t.deepEqual(m.uidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
  t.deepEqual(m.gidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
  t.true(m.singleId);
  const k = idMappings({ uid: 1001, gid: 1001, subuidRanges: [], subgidRanges: [] }, 'keep-id');
  t.deepEqual(k.uidMappings, [{ containerID: 1001, hostID: 1001, size: 1 }]);
});

test('as root: still a user namespace, only root\'s ranges, never host id 0', (t) => {
  const m = idMappings({ uid: 0, gid: 0, subuidRanges: [{ start: 200000, count: 65536 }], subgidRanges: [{ start: 200000, count: 65536 }] }, 'default');
  t.deepEqual(m.uidMappings, [{ containerID: 0, hostID: 200000, size: 65536 }]);
  t.false(m.uidMappings.some((r) => r.hostID === 0));
});

test('attack: as root without ranges, or with a range holding id 0, or keep-id → refused', (t) => {
  t.throws(() => idMappings({ uid: 0, gid: 0, subuidRanges: [], subgidRanges: [] }, 'default'), { instanceOf: HostError, message: /subordinate id ranges/ });
  t.throws(() => idMappings({ uid: 0, gid: 0, subuidRanges: [{ start: 0, count: 65536 }], subgidRanges: [{ start: 100000, count: 10 }] }, 'default'), { instanceOf: HostError });
  t.throws(() => idMappings({ uid: 0, gid: 0, subuidRanges: [{ start: 1, count: 1 }], subgidRanges: [{ start: 1, count: 1 }] }, 'keep-id'), { instanceOf: UsageError });
});

test('isMapped', (t) => {
  const m = idMappings(user, 'default').gidMappings;
  t.true(isMapped(m, 0));
  t.true(isMapped(m, 5));
  t.true(isMapped(m, 65536));
  t.false(isMapped(m, 65537));
  t.false(isMapped([{ containerID: 0, hostID: 1001, size: 1 }], 5));
});
