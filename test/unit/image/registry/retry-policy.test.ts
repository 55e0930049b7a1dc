import test from 'ava';
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetriableNetworkError, isRetriableStatus, parseRetryAfter, sleep } from '../../../../src/image/registry/retry-policy.js';
import { InterruptedError } from '../../../../src/errors.js';

const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

test('connection failures are retriable, aborts and other errors are not', (t) => {
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']) t.true(isRetriableNetworkError(errno(code)), code);
  t.true(isRetriableNetworkError(new Error('socket hang up')));
  t.false(isRetriableNetworkError(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' })));
  t.false(isRetriableNetworkError(errno('ENOTFOUND')));
  t.false(isRetriableNetworkError(new Error('digest mismatch')));
  t.false(isRetriableNetworkError(undefined));
});

test('5xx and 429 are retriable statuses, 4xx and 501 are not', (t) => {
  for (const s of [500, 502, 503, 504, 429]) t.true(isRetriableStatus(s), String(s));
  for (const s of [400, 401, 403, 404, 416, 501, 505]) t.false(isRetriableStatus(s), String(s));
});

test('backoff grows exponentially, is jittered below its ceiling and capped', (t) => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
  t.is(backoffDelay(0, policy, () => 0.999), 99);
  t.is(backoffDelay(2, policy, () => 0.5), 200);
  t.is(backoffDelay(10, policy, () => 0.999), 999);
  t.is(backoffDelay(3, policy, () => 0), 0);
});

test('Retry-After accepts seconds and HTTP dates, and is capped', (t) => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  t.is(parseRetryAfter('3', 60_000, now), 3000);
  t.is(parseRetryAfter(' 0 ', 60_000, now), 0);
  t.is(parseRetryAfter('100000', 60_000, now), 60_000);
  t.is(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', 60_000, now), 10_000);
  t.is(parseRetryAfter('Sun, 31 Dec 2023 23:00:00 GMT', 60_000, now), 0);
  t.is(parseRetryAfter('soon', 60_000, now), undefined);
  t.is(parseRetryAfter('-5', 60_000, now), undefined);
  t.is(parseRetryAfter(undefined, 60_000, now), undefined);
});

test('sleep stops with InterruptedError when aborted', async (t) => {
  const controller = new AbortController();
  const pending = sleep(60_000, controller.signal);
  controller.abort();
  await t.throwsAsync(pending, { instanceOf: InterruptedError });
});
