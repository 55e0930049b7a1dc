// Runs hutch-runtime in the foreground on this terminal's stdout and stderr
// (and stdin when asked), relaying signals, for run, exec and `hutch runtime`.
// The addon starts it (posix_spawn) and waits for it: node:child_process
// would cost every `hutch run` a few ms just to load.
import { HutchError } from '../errors.js';
import { loadNative, runtimeExecutablePath } from '../native/index.js';

/** How the runtime connects to this process. */
export interface AttachedRuntimeOptions {
  /** Pass our stdin (-i); otherwise the runtime reads /dev/null. */
  stdin: boolean;
  /** Start it in a session of its own, so a terminal's signals reach only hutch, which relays them. */
  newSession?: boolean;
  /** Signals relayed to the runtime while it runs. */
  forward: readonly NodeJS.Signals[];
  /** Signals ignored while it runs, because the runtime receives the terminal's own copy. */
  ignore?: readonly NodeJS.Signals[];
}

/** Runs hutch-runtime with `args`; resolves with its exit status, 128+N when signal N ended it. */
export async function runAttachedRuntime(args: readonly string[], options: AttachedRuntimeOptions): Promise<number> {
  const file = runtimeExecutablePath();
  let exited = false;
  let pid: number;
  const status = new Promise<number>((resolve, reject) => {
    try {
      pid = loadNative().spawnProcess(file, [file, ...args], { nullStdin: !options.stdin, newSession: options.newSession ?? false }, (err, code, signal) => {
        // The addon reaps the runtime in this same call: from here on its pid may belong to another process.
        exited = true;
        if (err) reject(err);
        else resolve(code ?? 128 + (signal ?? 0));
      });
    } catch (err) {
      reject(new HutchError('ERUNTIME', `cannot start hutch-runtime: ${(err as Error).message}`, { cause: err, hint: 'rebuild hutch (`npm rebuild hutch`)' }));
    }
  });
  const forward = (signal: NodeJS.Signals) => {
    if (!exited) process.kill(pid, signal);
  };
  const ignore = () => {};
  for (const signal of options.forward) process.on(signal, forward);
  for (const signal of options.ignore ?? []) process.on(signal, ignore);
  try {
    return await status;
  } finally {
    for (const signal of options.forward) process.off(signal, forward);
    for (const signal of options.ignore ?? []) process.off(signal, ignore);
  }
}
