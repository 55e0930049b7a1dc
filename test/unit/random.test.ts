import test from 'ava';
import { randomBelow, randomHex } from '../../src/random.js';

test('randomHex gives count bytes as lower-case hex, different each time', (t) => {
  const a = randomHex(32);
  t.regex(a, /^[0-9a-f]{64}$/);
  t.not(a, randomHex(32));
  t.is(randomHex(0), '');
});

test('randomBelow stays in [0, max) and reaches every value', (t) => {
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const value = randomBelow(7);
    t.true(Number.isInteger(value) && value >= 0 && value < 7);
    seen.add(value);
  }
  t.is(seen.size, 7);
  t.is(randomBelow(1), 0);
});
