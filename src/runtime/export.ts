// `hutch export`: the container's merged filesystem as a tar, written by
// `hutch-runtime cp --out / --export` inside the container's user namespace,
// so owners are the container's ids and whiteouts never appear.
import type { Writable } from 'node:stream';
import type { HutchPaths } from '../paths.js';
import { startCp } from './cp-native.js';
import { resolveContainer } from './lifecycle.js';

/** Streams container `name`'s filesystem as a tar into `out`. */
export async function exportContainer(paths: HutchPaths, name: string, out: Writable): Promise<void> {
  const { record, state } = resolveContainer(paths, name);
  const running = (state.status === 'running' || state.status === 'paused') && state.pid !== null;
  const cp = await startCp(paths, record, running, { out: '/', export: true }, ['ignore', 'pipe', 'pipe']);
  const finished = new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    cp.output!.once('end', resolve);
  });
  cp.output!.pipe(out, { end: false });
  await Promise.all([cp.done, finished]);
}
