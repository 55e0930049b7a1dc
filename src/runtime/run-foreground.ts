// Running a prepared container in the foreground: hutch-runtime executes the
// bundle with this terminal's stdio, forwards signals, and its exit status is
// the container's (128+N for a signal). Node only waits.
import { join } from 'node:path';
import { writeFileVolatile } from '../storage/atomic-file.js';
import { runAttachedRuntime } from './attached-runtime.js';
import type { PreparedContainer } from './prepare.js';

/** How the container's stdio connects to ours. */
export interface ForegroundOptions {
  /** -i: pass our stdin; otherwise the container reads /dev/null. */
  interactive: boolean;
  /** Where hutch-runtime keeps the runtime-spec state of running containers. */
  stateDir: string;
  /** --rm: hutch-runtime deletes the container's directory itself once the container exited. */
  removeOnExit?: boolean;
}

/** What `state.json` in the container directory records after a foreground run. */
export interface ForegroundExit {
  status: 'exited';
  exitCode: number;
  startedAt: string;
  finishedAt: string;
}

// Every signal hutch receives reaches hutch-runtime exactly once, through
// this process: without -t the runtime runs in a session of its own, so a
// terminal's Ctrl-C (sent to the foreground process group) reaches only us;
// with -t the terminal is in raw mode and raises no SIGINT, while its
// SIGWINCH, which the runtime handles itself, needs no forwarding.
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Runs the container and resolves with its exit status. */
export async function runForeground(container: PreparedContainer, options: ForegroundOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const args = ['run', '--bundle', container.paths.bundle, '--id', container.record.id, '--state-dir', options.stateDir];
  if (options.removeOnExit) args.push('--remove-on-exit', container.paths.dir);
  const exitCode = await runAttachedRuntime(args, {
    stdin: options.interactive,
    newSession: container.spec.process?.terminal !== true,
    forward: FORWARDED_SIGNALS,
  });
  if (!options.removeOnExit) {
    const record: ForegroundExit = { status: 'exited', exitCode, startedAt, finishedAt: new Date().toISOString() };
    writeFileVolatile(join(container.paths.dir, 'state.json'), `${JSON.stringify(record)}\n`);
  }
  return exitCode;
}

