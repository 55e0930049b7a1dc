// Finding fuse-overlayfs and the device it needs, apart from rootfs-mode.ts
// so that a container whose mode is already known never loads the PATH search.
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { FuseOverlayfsReport } from './rootfs-mode.js';
import { findExecutable } from './which.js';

/** Finds fuse-overlayfs (the setting's, else in PATH) and checks /dev/fuse access; `mount` is the caller's probe. */
export async function inspectFuseOverlayfs(env: NodeJS.ProcessEnv = process.env, devFuse = '/dev/fuse', mountProgram?: string): Promise<Omit<FuseOverlayfsReport, 'mount'>> {
  const executable = async (path: string) => access(path, constants.X_OK).then(() => path, () => null);
  const [path, dev] = await Promise.all([
    mountProgram !== undefined ? executable(mountProgram) : findExecutable('fuse-overlayfs', env),
    access(devFuse, constants.R_OK | constants.W_OK).then(() => true, () => false),
  ]);
  return { path, devFuse: dev };
}
