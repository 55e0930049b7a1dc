// Running a prepared container in the foreground: hutch-runtime executes the
// bundle with this terminal's stdio, forwards signals, and its exit status is
// the container's (128+N for a signal). Node only waits.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { HutchError } from '../errors.js';
import { runtimeExecutablePath } from '../native/index.js';
import { writeFileVolatile } from '../storage/atomic-file.js';
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
  const child = spawn(runtimeExecutablePath(), args, {
    stdio: [options.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'],
    detached: container.spec.process?.terminal !== true,
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new HutchError('ERUNTIME', `cannot start hutch-runtime: ${err.message}`, { cause: err, hint: 'rebuild hutch (`npm rebuild hutch`)' })));
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
    if (!options.removeOnExit) {
      const record: ForegroundExit = { status: 'exited', exitCode, startedAt, finishedAt: new Date().toISOString() };
      writeFileVolatile(join(container.paths.dir, 'state.json'), `${JSON.stringify(record)}\n`);
    }
    return exitCode;
  } finally {
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  }
}

