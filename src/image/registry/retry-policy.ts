// When and how long to wait before retrying a registry request. Exponential
// backoff with full jitter (so many clients hitting one flaky registry do not
// retry in lockstep); 429/503 `Retry-After` wins over backoff but is capped so
// a hostile or confused server cannot park a pull for hours.
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { InterruptedError } from '../../errors.js';

/** Tunables for retries; tests shrink the delays. */
export interface RetryPolicy {
  /** Total attempts including the first. */
  tries: number;
  /** Backoff base: attempt n waits a random time in [0, base * 2^n). */
  baseDelayMs: number;
  /** Upper bound of any backoff delay. */
  maxDelayMs: number;
  /** Upper bound honoured for a Retry-After header. */
  maxRetryAfterMs: number;
}

/** containers/image retries a handful of times; five tries with delays up to 10 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { tries: 5, baseDelayMs: 250, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 };

const RETRIABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** True for transport failures worth retrying (connection reset/refused, timeouts, "socket hang up"). */
export function isRetriableNetworkError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as NodeJS.ErrnoException;
  if (e.name === 'AbortError') return false;
  if (typeof e.code === 'string' && RETRIABLE_CODES.has(e.code)) return true;
  return typeof e.message === 'string' && /socket hang up/i.test(e.message);
}

/** True for HTTP statuses a GET/HEAD may be retried on. */
export function isRetriableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
}

/** The jittered exponential delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Parses Retry-After (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) into milliseconds, capped; undefined when absent or malformed. */
export function parseRetryAfter(value: string | undefined, maxMs: number, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Math.min(Number(text) * 1000, maxMs);
  // An HTTP-date always names a weekday and month; without letters Date.parse would accept things like "-5".
  const date = /[A-Za-z]/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), maxMs);
}

/** Waits `ms`, rejecting with InterruptedError as soon as `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleepTimer(ms, undefined, { signal });
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError('interrupted while waiting to retry', { cause: err });
    throw err;
  }
}
