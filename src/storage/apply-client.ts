// Runs the native layer applier (`hutch-runtime apply-layer`, addon/apply-layer.cc)
// under the id-mapping plan, so the layer's files get their mapped owners, and
// streams the compressed layer into its stdin. One small single-threaded
// process per layer: decompression, diff_id and extraction all happen there.
import type { Readable, Writable } from 'node:stream';
import { builtinModule } from '../builtin-module.js';
import { HostError, HutchError, InterruptedError, InvalidContentError } from '../errors.js';
import { layerCompression } from '../image/media-types.js';
import { runtimeExecutablePath } from '../native/index.js';
import type { ApplyJob, ApplyJobError, ApplyJobResult, ApplyLimits } from './apply-job.js';
import { usernsCommand, type IdMappingPlan } from './userns.js';

/** One layer to extract. */
export interface LayerExtraction {
  /** Empty diff dir to fill (in the store's tmp/). */
  target: string;
  /** Diff dirs of the layers below, topmost first. */
  lowers: string[];
  /** The compressed blob's digest, named in every error. */
  layerDigest: string;
  mediaType: string;
  /** Size of the compressed blob (for the ratio cap). */
  compressedSize: number;
  /** Single-id mode: chown to unmapped ids is ignored. */
  ignoreChownErrors?: boolean;
  limits?: Partial<ApplyLimits>;
}

/** Most stderr kept for an error message (the applier writes none unless it crashes). */
const MAX_STDERR = 64 * 1024;

function rebuildError(e: ApplyJobError): HutchError {
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

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: Error;
}

/**
 * Applies a compressed layer stream in an applier process; resolves with its
 * result. With `lowersReady`, the layers below may still be in progress: the
 * applier learns on its fd 3 when they are complete (one byte), or that they
 * never will be (EOF, also when this process dies).
 */
export async function extractLayer(plan: IdMappingPlan, layer: LayerExtraction, source: Readable, signal?: AbortSignal, lowersReady?: Promise<void>): Promise<ApplyJobResult> {
  // The source is usually the registry client's verifying stream: its error (digest or size
  // mismatch, network) can arrive at any time, even before the applier starts or after it has
  // read everything, so it is recorded from the start and always wins.
  let sourceError: unknown;
  let stdin: Writable | undefined;
  source.once('error', (err) => {
    sourceError = err;
    stdin?.destroy();
  });
  const job: ApplyJob = {
    target: layer.target,
    lowers: layer.lowers,
    layerDigest: layer.layerDigest,
    compression: layerCompression(layer.mediaType, `layer ${layer.layerDigest}`),
    ...(layer.compressedSize > 0 ? { compressedSize: layer.compressedSize } : {}),
    ...(layer.ignoreChownErrors ? { ignoreChownErrors: true } : {}),
    ...(layer.limits ? { limits: layer.limits } : {}),
    ...(lowersReady ? { lowersPending: true } : {}),
  };
  const [file, ...args] = usernsCommand(plan, runtimeExecutablePath(), ['apply-layer', JSON.stringify(job)]);
  // Looked up here: the store, which every container command opens, imports this module.
  const child = builtinModule('node:child_process').spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe', lowersReady ? 'pipe' : 'ignore'] });
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
    child.once('close', (code, sig) => resolve({ code, signal: sig }));
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < MAX_STDERR) stderr += chunk;
  });
  const kill = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', kill, { once: true });
  if (signal?.aborted) kill();
  if (lowersReady) {
    const control = child.stdio[3] as Writable;
    // EPIPE when the applier has finished before the lowers did.
    control.on('error', () => undefined);
    lowersReady.then(
      () => control.end(Buffer.from('r')),
      () => control.destroy(),
    );
    signal?.addEventListener('abort', () => control.destroy(), { once: true });
    void exited.finally(() => control.destroy());
  }
  stdin = child.stdin!;
  if (sourceError) stdin.destroy();
  // EPIPE when the applier stops early on bad content: its own report says why.
  stdin.on('error', () => undefined);
  source.pipe(stdin);
  const exit = await exited;
  signal?.removeEventListener('abort', kill);
  source.unpipe(stdin);
  if (sourceError) throw sourceError;
  if (signal?.aborted) throw new InterruptedError(`applying layer ${layer.layerDigest} interrupted`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  let parsed: (ApplyJobResult & { error?: undefined }) | { error: ApplyJobError } | undefined;
  try {
    parsed = last ? JSON.parse(last) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed?.error) throw rebuildError(parsed.error);
  if (exit.code !== 0 || !parsed) {
    const how = exit.spawnError ? exit.spawnError.message : exit.code === null ? `killed by ${exit.signal}` : `exit status ${exit.code}`;
    throw new HostError('EAPPLYLAYER', `the layer applier for ${layer.layerDigest} failed (${how})${stderr.trim() ? `: ${stderr.trim()}` : ''}`, {
      hint: 'check that user namespaces work for your user (`hutch info`)',
    });
  }
  return parsed;
}
