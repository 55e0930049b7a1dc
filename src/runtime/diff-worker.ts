// Entry point run inside the user namespace (`node dist/runtime/diff-worker.js JOB-JSON`):
// the upper dir holds directories that subordinate ids own (often mode 0700),
// which only a process holding capabilities in that namespace may list. Prints
// the changes as one JSON line, or {error}.
import { loadNative } from '../native/index.js';
import { containerChanges } from './diff.js';

/** What the worker is asked (JSON on its command line). */
export interface DiffJob {
  upper: string;
  lowers: string[];
}

try {
  const job = JSON.parse(process.argv[2] ?? '') as DiffJob;
  const native = loadNative();
  // Kernel overlayfs marks opaque directories with user.overlay.opaque; fuse-overlayfs, running as root in the
  // user namespace but denied trusted.*, with user.fuseoverlayfs.opaque.
  const isOpaque = (dir: string) => ['user.overlay.opaque', 'user.fuseoverlayfs.opaque'].some((name) => native.getxattr(dir, name, { noFollow: true })?.toString() === 'y');
  process.stdout.write(`${JSON.stringify({ changes: containerChanges(job.upper, job.lowers, { isOpaque }) })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exitCode = 1;
}
