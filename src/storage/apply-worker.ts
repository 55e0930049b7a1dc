// Entry point run inside the user namespace (`node dist/storage/apply-worker.js JOB-JSON`):
// reads the compressed layer on stdin, applies it, and prints one JSON line on
// stdout: the ApplyJobResult, or {error} for the parent to rethrow.
import { readSync } from 'node:fs';
import { HutchError, InterruptedError } from '../errors.js';
import { runApplyJob, type ApplyJob } from './apply-job.js';

/** The error shape the worker prints; the parent rebuilds a HutchError from it. */
export interface WorkerError {
  name: string;
  code: string;
  message: string;
  hint?: string;
}

/** fd 3: the parent writes one byte when the lower layers are complete and closes it (EOF) when they failed or it died. */
const LOWERS_FD = 3;

/**
 * Blocks until the parent says the lower layers are complete. The applier
 * asks synchronously from inside a tar entry, and nothing else in this process
 * may proceed meanwhile (stdin simply backs up), so a blocking read is right.
 */
function awaitLowersFrom(fd: number, layer: string): () => void {
  return () => {
    const byte = Buffer.alloc(1);
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, byte, 0, 1, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(pause, 0, 0, 20);
          continue;
        }
        if (code === 'EINTR') continue;
        throw err;
      }
      if (n === 1) return;
      throw new InterruptedError(`applying layer ${layer} stopped: the layers below it were not stored`);
    }
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as ApplyJob;
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  process.once('SIGINT', () => controller.abort());
  const awaitLowers = job.lowersPending ? awaitLowersFrom(LOWERS_FD, job.layerDigest) : undefined;
  const result = await runApplyJob(job, process.stdin, controller.signal, awaitLowers);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    const e = err instanceof Error ? err : new Error(String(err));
    const error: WorkerError = {
      name: e.name,
      code: err instanceof HutchError ? err.code : 'EINTERNAL',
      message: e.message,
      hint: err instanceof HutchError ? err.hint : undefined,
    };
    process.stdout.write(`${JSON.stringify({ error })}\n`);
    process.exit(1);
  },
);
