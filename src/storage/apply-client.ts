// Runs the apply worker (a separate node process) under the id-mapping plan,
// so the layer's files get their mapped owners, and streams the compressed
// layer into it.
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { HostError, HutchError, InterruptedError, InvalidContentError } from '../errors.js';
import type { ApplyJob, ApplyJobResult } from './apply-job.js';
import type { WorkerError } from './apply-worker.js';
import { runInUserns, type IdMappingPlan } from './userns.js';

/** The node command line that runs the worker: dist/…/apply-worker.js, or the .ts source through tsx in a checkout. */
function workerCommand(): string[] {
  const fromSource = import.meta.url.endsWith('.ts');
  const worker = fileURLToPath(new URL(fromSource ? './apply-worker.ts' : './apply-worker.js', import.meta.url));
  return fromSource ? ['--import', import.meta.resolve('tsx'), worker] : [worker];
}

function rebuildError(e: WorkerError): HutchError {
  const options = { hint: e.hint };
  switch (e.name) {
    case 'InvalidContentError':
      return new InvalidContentError(e.message, options);
    case 'InterruptedError':
      return new InterruptedError(e.message, options);
    case 'HostError':
      return new HostError(e.code, e.message, options);
    default:
      return new HutchError(e.code, e.message, options);
  }
}

/**
 * Applies a compressed layer stream per `job` in a worker process; resolves
 * with the worker's result. With `lowersReady`, the layers below may still be
 * in progress: the worker learns on its fd 3 when they are complete (one
 * byte), or that they never will be (EOF, also when this process dies).
 */
export async function extractLayer(plan: IdMappingPlan, job: ApplyJob, source: Readable, signal?: AbortSignal, lowersReady?: Promise<void>): Promise<ApplyJobResult> {
  const pending = lowersReady !== undefined;
  // The source is usually the registry client's verifying stream: its error (digest or size
  // mismatch, network) can arrive at any time, even before the worker starts or after it has
  // read everything, so it is recorded from the start and always wins.
  let sourceError: unknown;
  let stdin: Writable | undefined;
  source.once('error', (err) => {
    sourceError = err;
    stdin?.destroy();
  });
  const { subprocess: child } = await runInUserns(plan, process.execPath, [...workerCommand(), JSON.stringify({ ...job, lowersPending: pending })], {
    stdin: 'pipe',
    signal,
    controlPipe: pending,
  });
  if (lowersReady) {
    const control = child.stdio[3] as Writable;
    // EPIPE when the worker has finished before the lowers did.
    control.on('error', () => undefined);
    lowersReady.then(
      () => control.end(Buffer.from('r')),
      () => control.destroy(),
    );
    signal?.addEventListener('abort', () => control.destroy(), { once: true });
    void child.finally(() => control.destroy());
  }
  stdin = child.stdin!;
  if (sourceError) stdin.destroy();
  // EPIPE when the worker stops early on bad content: its own report says why.
  stdin.on('error', () => undefined);
  source.pipe(stdin);
  const result = await child;
  source.unpipe(stdin);
  if (sourceError) throw sourceError;
  if (signal?.aborted) throw new InterruptedError(`applying layer ${job.layerDigest} interrupted`);
  const stdout = String(result.stdout).trim();
  const last = stdout.split('\n').at(-1) ?? '';
  let parsed: (ApplyJobResult & { error?: undefined }) | { error: WorkerError } | undefined;
  try {
    parsed = last ? JSON.parse(last) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed?.error) throw rebuildError(parsed.error);
  if (result.exitCode !== 0 || !parsed) {
    const stderr = String(result.stderr).trim();
    throw new HostError('EAPPLYWORKER', `the layer apply worker for ${job.layerDigest} failed (${result.exitCode === undefined ? result.signal ?? result.shortMessage : `exit status ${result.exitCode}`})${stderr ? `: ${stderr}` : ''}`, {
      hint: 'check that user namespaces work for your user (`hutch info`)',
    });
  }
  return parsed;
}
