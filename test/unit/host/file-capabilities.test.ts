import test from 'ava';
import { CAPABILITY_NAMES, decodeFileCapabilities } from '../../../src/host/file-capabilities.js';

function words(...values: number[]): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeUInt32LE(v >>> 0, i * 4));
  return buf;
}

test('decodes Fedora-style newuidmap cap_setuid=ep (revision 2)', (t) => {
  // Bytes as `getfattr -e hex -n security.capability /usr/bin/newuidmap` shows them on Fedora.
  const raw = Buffer.from('0100000280000000000000000000000000000000', 'hex');
  t.deepEqual(decodeFileCapabilities(raw), { revision: 2, effective: true, permitted: ['cap_setuid'], inheritable: [] });
});

test('decodes cap_setgid without the effective flag', (t) => {
  const caps = decodeFileCapabilities(words(0x02000000, 1 << 6, 0, 0, 0));
  t.is(caps?.effective, false);
  t.deepEqual(caps?.permitted, ['cap_setgid']);
});

test('decodes capabilities in the upper 32-bit word and inheritable sets', (t) => {
  const caps = decodeFileCapabilities(words(0x02000001, 1 << 10, 1 << 0, 1 << (39 - 32), 1 << (38 - 32)));
  t.deepEqual(caps?.permitted, ['cap_net_bind_service', 'cap_bpf']);
  t.deepEqual(caps?.inheritable, ['cap_chown', 'cap_perfmon']);
});

test('decodes revision 3 with its namespace root uid', (t) => {
  const caps = decodeFileCapabilities(words(0x03000001, 1 << 7, 0, 0, 0, 100000));
  t.is(caps?.revision, 3);
  t.is(caps?.rootUid, 100000);
  t.deepEqual(caps?.permitted, ['cap_setuid']);
});

test('decodes revision 1 (32-bit sets)', (t) => {
  t.deepEqual(decodeFileCapabilities(words(0x01000001, (1 << 6) | (1 << 7), 0)), {
    revision: 1, effective: true, permitted: ['cap_setgid', 'cap_setuid'], inheritable: [],
  });
});

test('unknown capability numbers are named by number', (t) => {
  t.deepEqual(decodeFileCapabilities(words(0x02000000, 0, 0, 1 << 20, 0))?.permitted, [`cap_${32 + 20}`]);
  t.is(CAPABILITY_NAMES.length, 41);
});

test('rejects unknown revisions and sizes that do not match the revision', (t) => {
  t.is(decodeFileCapabilities(words(0x04000000, 0, 0, 0, 0)), null);
  t.is(decodeFileCapabilities(words(0x02000000, 1 << 7, 0)), null);
  t.is(decodeFileCapabilities(words(0x03000000, 1 << 7, 0, 0, 0)), null);
  t.is(decodeFileCapabilities(Buffer.from([1, 0])), null);
});
