// `--restart` policies (podman's names), carried out by the native monitor
// while it lives; nothing restarts a container after a reboot.
import { UsageError } from '../errors.js';

/** A parsed restart policy. */
export interface RestartPolicy {
  name: 'no' | 'on-failure' | 'always' | 'unless-stopped';
  /** on-failure's retry limit; undefined means unlimited. */
  maxRetries?: number;
}

/** Parses `no|on-failure[:N]|always|unless-stopped` (empty means `no`). */
export function parseRestartPolicy(value: string | undefined): RestartPolicy {
  if (value === undefined || value === '' || value === 'no') return { name: 'no' };
  if (value === 'always' || value === 'unless-stopped') return { name: value };
  const match = /^on-failure(?::(\d+))?$/.exec(value);
  if (match) {
    if (match[1] === undefined) return { name: 'on-failure' };
    const maxRetries = Number(match[1]);
    if (!Number.isSafeInteger(maxRetries)) throw new UsageError(`--restart: retry count ${JSON.stringify(match[1])} is too large`);
    return { name: 'on-failure', maxRetries };
  }
  if (/^(no|always|unless-stopped):/.test(value)) {
    throw new UsageError(`--restart ${JSON.stringify(value)}: only on-failure takes a retry count`);
  }
  throw new UsageError(`invalid --restart policy ${JSON.stringify(value)}`, { hint: 'use no, on-failure[:N], always or unless-stopped' });
}

/** The policy as the monitor's --restart argument and podman's inspect show it. */
export function formatRestartPolicy(policy: RestartPolicy): string {
  return policy.maxRetries === undefined ? policy.name : `${policy.name}:${policy.maxRetries}`;
}
