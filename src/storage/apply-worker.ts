// Entry point run inside the user namespace (`node dist/storage/apply-worker.js JOB-JSON`):
// reads the compressed layer on stdin, applies it, and prints one JSON line on
// stdout: the ApplyJobResult, or {error} for the parent to rethrow.
import { HutchError } from '../errors.js';
import { runApplyJob, type ApplyJob } from './apply-job.js';

/** The error shape the worker prints; the parent rebuilds a HutchError from it. */
export interface WorkerError {
  name: string;
  code: string;
  message: string;
  hint?: string;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as ApplyJob;
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  process.once('SIGINT', () => controller.abort());
  const result = await runApplyJob(job, process.stdin, controller.signal);
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
