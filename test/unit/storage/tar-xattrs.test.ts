import test from 'ava';
import { BadTar, TarXattrTracker } from '../../../src/storage/tar-xattrs.js';
import { makeTar } from './_tar.js';

test('raw xattr bytes are recovered per entry, in order, whatever the chunking', (t) => {
  const binary = Buffer.from([0x00, 0xff, 0x80, 0x0a, 0x3d, 0xc3]);
  const tar = makeTar([
    { name: 'a', data: 'x'.repeat(700), xattrs: { 'security.capability': binary, 'user.a': 'A' } },
    { name: 'dir/', type: '5' },
    { name: `${'long/'.repeat(30)}b`, data: 'y', xattrs: { 'user.b': 'B' } },
  ]);
  for (const chunkSize of [1, 7, 512, 100_000]) {
    const tracker = new TarXattrTracker();
    for (let i = 0; i < tar.length; i += chunkSize) tracker.write(tar.subarray(i, i + chunkSize));
    const a = tracker.shift()!;
    t.is(a.size, 700);
    t.deepEqual(a.xattrs.get('security.capability'), binary);
    t.is(a.xattrs.get('user.a')?.toString(), 'A');
    t.deepEqual(tracker.shift(), { size: 0, xattrs: new Map() });
    const b = tracker.shift()!;
    t.is(b.size, 1);
    t.deepEqual([...b.xattrs.keys()], ['user.b']);
    t.is(tracker.shift(), undefined);
    t.true(tracker.ended);
  }
});

test('malformed PAX records and unsupported entry types are refused', (t) => {
  const tar = makeTar([{ name: 'a', data: 'x', xattrs: { 'user.a': 'A' } }]);
  const broken = Buffer.from(tar);
  broken.write('99', 512, 'latin1');
  t.throws(() => new TarXattrTracker().write(broken), { instanceOf: BadTar, message: /malformed PAX/ });
  const sparse = makeTar([{ name: 's', data: 'x' }]);
  sparse.write('S', 156, 'latin1');
  t.throws(() => new TarXattrTracker().write(sparse), { instanceOf: BadTar, message: /unsupported tar entry type `S`/ });
});
