import test from 'ava';
import { UsageError } from '../../../src/errors.js';
import { DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES, capabilitySets, mergeCapabilities, normalizeCapability } from '../../../src/spec/capabilities.js';

test('the known list ends at CAP_CHECKPOINT_RESTORE = 40', (t) => {
  t.is(KNOWN_CAPABILITIES.length, 41);
  t.is(KNOWN_CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
  t.is(KNOWN_CAPABILITIES[21], 'CAP_SYS_ADMIN');
  t.is(KNOWN_CAPABILITIES[31], 'CAP_SETFCAP');
});

test('normalisation: case, prefix, ALL; unknown and not-on-this-kernel names refused', (t) => {
  t.is(normalizeCapability('net_raw', '--cap-add'), 'CAP_NET_RAW');
  t.is(normalizeCapability('Cap_Sys_Admin', '--cap-add'), 'CAP_SYS_ADMIN');
  t.is(normalizeCapability('all', '--cap-drop'), 'ALL');
  t.throws(() => normalizeCapability('CAP_SUPERPOWER', '--cap-add'), { instanceOf: UsageError, message: /--cap-add CAP_SUPERPOWER/ });
  t.throws(() => normalizeCapability('CHECKPOINT_RESTORE', '--cap-add', { capLastCap: 39 }), { instanceOf: UsageError });
});

const sorted = [...DEFAULT_CAPABILITIES].sort();
const mergeCases: [string, string[], string[], string[]][] = [
  ['defaults', [], [], sorted],
  ['add one', ['NET_RAW'], [], [...sorted, 'CAP_NET_RAW'].sort()],
  ['drop one', [], ['CHOWN'], sorted.filter((c) => c !== 'CAP_CHOWN')],
  ['drop ALL', [], ['ALL'], []],
  ['drop ALL keeps the added', ['NET_BIND_SERVICE'], ['ALL'], ['CAP_NET_BIND_SERVICE']],
  ['add ALL gives the whole bounding set', ['ALL'], [], [...KNOWN_CAPABILITIES].sort()],
  ['add ALL minus one', ['ALL'], ['SYS_ADMIN'], [...KNOWN_CAPABILITIES].filter((c) => c !== 'CAP_SYS_ADMIN').sort()],
  ['adding an existing one is harmless', ['chown'], [], sorted],
];
for (const [name, add, drop, expected] of mergeCases) {
  test(`merge: ${name}`, (t) => {
    t.deepEqual(mergeCapabilities(DEFAULT_CAPABILITIES, add, drop), expected);
  });
}

test('merge errors: the same capability added and dropped; ALL both ways', (t) => {
  t.throws(() => mergeCapabilities(DEFAULT_CAPABILITIES, ['NET_RAW'], ['net_raw']), { instanceOf: UsageError, message: /both added and dropped/ });
  t.throws(() => mergeCapabilities(DEFAULT_CAPABILITIES, ['ALL'], ['ALL']), { instanceOf: UsageError });
});

test('a capability outside the host bounding set is never granted', (t) => {
  const host = { boundingSet: ['CAP_CHOWN', 'CAP_KILL'] };
  t.deepEqual(mergeCapabilities(DEFAULT_CAPABILITIES, ['SYS_ADMIN'], [], host), ['CAP_CHOWN', 'CAP_KILL']);
  t.deepEqual(mergeCapabilities(DEFAULT_CAPABILITIES, ['ALL'], [], host), ['CAP_CHOWN', 'CAP_KILL']);
});

test('root: effective = permitted = bounding, inheritable and ambient empty', (t) => {
  const s = capabilitySets({ capAdd: [], capDrop: [], uid: 0 });
  t.deepEqual(s.bounding, sorted);
  t.deepEqual(s.effective, sorted);
  t.deepEqual(s.permitted, sorted);
  t.deepEqual(s.inheritable, []);
  t.deepEqual(s.ambient, []);
});

test('non-root: bounding keeps the set, nothing effective by default', (t) => {
  const s = capabilitySets({ capAdd: [], capDrop: [], uid: 1000 });
  t.deepEqual(s.bounding, sorted);
  t.deepEqual(s.effective, []);
  t.deepEqual(s.permitted, []);
  t.deepEqual(s.inheritable, []);
  t.deepEqual(s.ambient, []);
});

test('non-root with --cap-add: the added caps are effective, permitted, inheritable and ambient', (t) => {
  const s = capabilitySets({ capAdd: ['NET_BIND_SERVICE', 'NET_RAW'], capDrop: [], uid: 1000 });
  t.deepEqual(s.ambient, ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']);
  t.deepEqual(s.effective, s.ambient);
  t.deepEqual(s.permitted, s.ambient);
  t.deepEqual(s.inheritable, s.ambient);
  t.true(s.bounding.includes('CAP_NET_RAW'));
});

test('attack: non-root --cap-add ALL --cap-drop X cannot get X in ambient', (t) => {
  const s = capabilitySets({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'], uid: 1000 });
  t.false(s.bounding.includes('CAP_SYS_ADMIN'));
  t.false(s.ambient.includes('CAP_SYS_ADMIN'));
  t.false(s.effective.includes('CAP_SYS_ADMIN'));
});

test('--cap-drop ALL for root leaves every set empty', (t) => {
  const s = capabilitySets({ capAdd: [], capDrop: ['ALL'], uid: 0 });
  t.deepEqual(s, { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] });
});
