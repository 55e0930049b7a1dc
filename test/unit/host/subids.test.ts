import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeRangeStart, parseSubids, readSubids } from '../../../src/host/subids.js';

const FILE = [
  '# subordinate uids',
  '',
  'alice:100000:65536',
  'bob:165536:65536',
  '1000:231072:1000',
  '  alice:300000:10  ',
  'alice:400000',
  'alice:abc:10',
  'alice:-5:10',
  'alice:500000:0',
  'alice:4294967200:1000',
  'alice:1:2:3',
  ':600000:10',
  'alicex:700000:10',
  '01000:800000:5',
].join('\n');

test('matches entries by login name and by numeric uid, in file order', (t) => {
  t.deepEqual(parseSubids(FILE, { name: 'alice', uid: 1000 }), [
    { start: 100000, count: 65536 },
    { start: 231072, count: 1000 },
    { start: 300000, count: 10 },
    { start: 800000, count: 5 },
  ]);
});

test('a different user gets only its own ranges', (t) => {
  t.deepEqual(parseSubids(FILE, { name: 'bob', uid: 1001 }), [{ start: 165536, count: 65536 }]);
});

test('a name that is a prefix of another does not match', (t) => {
  t.deepEqual(parseSubids('alicex:700000:10\n', { name: 'alice', uid: 5 }), []);
});

test('a uid without a passwd name still matches numeric entries', (t) => {
  t.deepEqual(parseSubids(FILE, { name: null, uid: 1000 }), [{ start: 231072, count: 1000 }, { start: 800000, count: 5 }]);
});

test('malformed, zero-length and overflowing lines are ignored', (t) => {
  const ranges = parseSubids(FILE, { name: 'alice', uid: 99 });
  t.false(ranges.some((r) => r.start === 400000 || r.start === 500000 || r.start === 4294967200 || r.start === 1));
});

test('a name looking like a uid is matched as the uid it spells, not as a name', (t) => {
  t.deepEqual(parseSubids('1000:100000:10\n', { name: '2000', uid: 1000 }), [{ start: 100000, count: 10 }]);
});

test('readSubids totals the ranges and reports a missing file as readable=false', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-subids-'));
  const file = join(dir, 'subuid');
  writeFileSync(file, 'alice:100000:65536\nalice:200000:100\n');
  const { report, entries } = await readSubids(file, { name: 'alice', uid: 1000 });
  t.is(entries.length, 2);
  t.deepEqual(report, { file, readable: true, ranges: [{ start: 100000, count: 65536 }, { start: 200000, count: 100 }], total: 65636 });
  const { report: missing } = await readSubids(join(dir, 'nope'), { name: 'alice', uid: 1000 });
  t.false(missing.readable);
  t.is(missing.error, 'ENOENT');
  t.is(missing.total, 0);
});

test('freeRangeStart skips every range in use, by any owner', (t) => {
  t.is(freeRangeStart([]), 100000);
  t.is(freeRangeStart([{ start: 100000, count: 65536 }]), 165536);
  t.is(freeRangeStart([{ start: 100000, count: 65536 }, { start: 170000, count: 10 }]), 231072);
  t.is(freeRangeStart([{ start: 165535, count: 1 }]), 165536);
  t.is(freeRangeStart([{ start: 50000, count: 10 }]), 100000);
});
