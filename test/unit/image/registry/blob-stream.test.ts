import test from 'ava';
import { parseContentRange } from '../../../../src/image/registry/blob-stream.js';

test('parses RFC 9110 byte Content-Range values', (t) => {
  t.deepEqual(parseContentRange('bytes 100-199/200'), { start: 100, end: 199, total: 200 });
  t.deepEqual(parseContentRange(' bytes 0-0/* '), { start: 0, end: 0, total: undefined });
});

test('rejects malformed or inverted ranges', (t) => {
  for (const value of [undefined, '', 'bytes */200', 'bytes 10-5/200', 'items 0-1/2', 'bytes 0-1', 'bytes -1-5/10', 'bytes 0-1/2, bytes 3-4/5', 'bytes 1e3-2000/3000']) {
    t.is(parseContentRange(value), undefined, String(value));
  }
});
