// How a container's root filesystem will be assembled: kernel overlayfs in
// the user namespace (Linux >= 5.11 with userxattr), else fuse-overlayfs,
// else a private copy of the layers (slow, but works everywhere).
import { access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { findExecutable } from './which.js';

/** The three ways to build a rootfs, best first. */
export type RootfsMode = 'overlay' | 'fuse-overlayfs' | 'copy';

/** fuse-overlayfs and the device it needs. */
export interface FuseOverlayfsReport {
  path: string | null;
  /** /dev/fuse can be opened read-write by this user. */
  devFuse: boolean;
}

/** Finds fuse-overlayfs and checks /dev/fuse access. */
export async function inspectFuseOverlayfs(env: NodeJS.ProcessEnv = process.env, devFuse = '/dev/fuse'): Promise<FuseOverlayfsReport> {
  const [path, dev] = await Promise.all([
    findExecutable('fuse-overlayfs', env),
    access(devFuse, constants.R_OK | constants.W_OK).then(() => true, () => false),
  ]);
  return { path, devFuse: dev };
}

/** Picks the rootfs mode from the overlay probe and fuse-overlayfs availability. */
export function chooseRootfsMode(overlayMountable: boolean, fuse: FuseOverlayfsReport): RootfsMode {
  if (overlayMountable) return 'overlay';
  if (fuse.path !== null && fuse.devFuse) return 'fuse-overlayfs';
  return 'copy';
}
