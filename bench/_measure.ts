// Wall-clock timing for the benchmarks: commands are run one after another in
// alternating rounds (so load from other processes hits them all alike), and
// medians are reported, which a few slow outliers on a busy machine do not move.
import { spawnSync } from 'node:child_process';

/** One command to time; `file`/`args`/`env` are passed to spawn as they are. */
export interface TimedCommand {
  label: string;
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** Runs `command` once and returns its wall time in milliseconds; throws when it fails, since a failing run measures nothing. */
export function timeOnce(command: TimedCommand): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command.file, command.args, { env: command.env, cwd: '/', stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.error) throw new Error(`${command.label}: cannot start ${command.file}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command.label}: exited with ${result.status ?? result.signal}: ${result.stderr.trim()}`);
  return elapsed;
}

/** Times every command `rounds` times, alternating, after `warmup` untimed rounds; returns the samples by label. */
export function alternate(commands: readonly TimedCommand[], rounds: number, warmup: number): Map<string, number[]> {
  const samples = new Map(commands.map((c) => [c.label, [] as number[]]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (const command of commands) {
      const ms = timeOnce(command);
      if (round >= warmup) samples.get(command.label)!.push(ms);
    }
  }
  return samples;
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A table row: label, median, min and max in milliseconds. */
export function summaryLine(label: string, values: readonly number[]): string {
  const fmt = (n: number) => n.toFixed(1).padStart(8);
  return `${label.padEnd(40)}${fmt(median(values))} ms  (min ${fmt(Math.min(...values)).trim()}, max ${fmt(Math.max(...values)).trim()}, n=${values.length})`;
}

/** The number of timed rounds: $BENCH_ROUNDS, else `fallback`. */
export function roundsFromEnv(fallback: number): number {
  const value = Number.parseInt(process.env.BENCH_ROUNDS ?? '', 10);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}
