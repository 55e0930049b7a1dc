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
}

/** What `state.json` in the container directory records after a foreground run. */
export interface ForegroundExit {
  status: 'exited';
  exitCode: number;
  startedAt: string;
  finishedAt: string;
}

// Signals a terminal delivers to the whole foreground process group reach
// hutch-runtime directly; forwarding them too would deliver them twice.
const TERMINAL_SIGNALS = new Set<NodeJS.Signals>(['SIGINT', 'SIGQUIT', 'SIGTSTP', 'SIGWINCH']);
const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];

/** Runs the container and resolves with its exit status. */
export async function runForeground(container: PreparedContainer, options: ForegroundOptions): Promise<number> {
  const startedAt = new Date().toISOString();
  const child = spawn(runtimeExecutablePath(), ['run', '--bundle', container.paths.bundle, '--id', container.record.id, '--state-dir', options.stateDir], {
    stdio: [options.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'],
  });
  const ignore = () => {};
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of TERMINAL_SIGNALS) process.on(signal, ignore);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', (err) => reject(new HutchError('ERUNTIME', `cannot start hutch-runtime: ${err.message}`, { cause: err, hint: 'rebuild hutch (`npm rebuild hutch`)' })));
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
    const record: ForegroundExit = { status: 'exited', exitCode, startedAt, finishedAt: new Date().toISOString() };
    writeFileVolatile(join(container.paths.dir, 'state.json'), `${JSON.stringify(record)}\n`);
    return exitCode;
  } finally {
    for (const signal of TERMINAL_SIGNALS) process.off(signal, ignore);
    for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
  }
}

