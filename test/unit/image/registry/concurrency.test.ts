import test from 'ava';
import { limitConcurrency } from '../../../../src/image/registry/concurrency.js';

test('never runs more than the limit at once and runs every task', async (t) => {
  const run = limitConcurrency(3);
  let active = 0;
  let peak = 0;
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      run(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((resolve) => setImmediate(resolve));
        active--;
        return i;
      }),
    ),
  );
  t.is(peak, 3);
  t.deepEqual(results, Array.from({ length: 20 }, (_, i) => i));
});

test('a failing task releases its slot', async (t) => {
  const run = limitConcurrency(1);
  await t.throwsAsync(run(async () => Promise.reject(new Error('boom'))), { message: 'boom' });
  t.is(await run(async () => 42), 42);
});

test('rejects a non-positive limit', (t) => {
  t.throws(() => limitConcurrency(0), { instanceOf: RangeError });
});
