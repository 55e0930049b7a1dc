// The flags `run` and `create` add for containers the monitor runs
// (podman's names): restart policy, log size cap, resource limits, labels.
import type { Options } from 'yargs';
import { UsageError } from '../errors.js';

/** yargs option definitions shared by `run` and `create`. */
export const lifecycleFlags = {
  restart: { type: 'string', describe: 'Restart policy: no, on-failure[:N], always, unless-stopped' },
  'log-opt': { type: 'string', array: true, nargs: 1, describe: 'Logging option: max-size=SIZE (rotates the log)' },
  memory: { alias: 'm', type: 'string', describe: 'Memory limit (e.g. 512m); needs a delegated cgroup v2 subtree' },
  'memory-swap': { type: 'string', describe: 'Memory plus swap limit (-1: unlimited swap; default: twice --memory)' },
  cpus: { type: 'string', describe: 'Number of CPUs (e.g. 1.5); needs a delegated cgroup v2 subtree' },
  'pids-limit': { type: 'string', describe: 'Maximum number of processes; needs a delegated cgroup v2 subtree' },
  label: { alias: 'l', type: 'string', array: true, nargs: 1, describe: 'Set a label K=V on the container' },
} as const satisfies Record<string, Options>;

/** The values of lifecycleFlags as yargs parsed them. */
export interface LifecycleFlagValues {
  restart?: string;
  'log-opt'?: string[];
  memory?: string;
  'memory-swap'?: string;
  cpus?: string;
  'pids-limit'?: string;
  label?: string[];
}

/** Parses `--log-opt max-size=N[k|m|g]` into bytes (undefined when not given). */
export function parseLogMaxSize(opts: readonly string[] | undefined): number | undefined {
  let size: number | undefined;
  for (const opt of opts ?? []) {
    const match = /^max-size=(\d+(?:\.\d+)?)([kmg]?)b?$/i.exec(opt);
    if (!match) {
      if (opt.startsWith('max-size=')) throw new UsageError(`invalid --log-opt ${JSON.stringify(opt)}`, { hint: 'use max-size=N with an optional unit k, m or g' });
      throw new UsageError(`unsupported --log-opt ${JSON.stringify(opt)}`, { hint: 'hutch supports max-size=SIZE' });
    }
    const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
    size = Math.floor(Number(match[1]) * unit);
    if (size < 1) throw new UsageError(`--log-opt ${opt}: the size must be positive`);
  }
  return size;
}

/** Parses `--label K=V` (a bare K gets an empty value, as in podman). */
export function parseLabels(values: readonly string[] | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    const key = eq < 0 ? value : value.slice(0, eq);
    if (key === '') throw new UsageError(`invalid --label ${JSON.stringify(value)}: the key is empty`);
    labels[key] = eq < 0 ? '' : value.slice(eq + 1);
  }
  return labels;
}
