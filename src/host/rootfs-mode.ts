// How a container's root filesystem is assembled: kernel overlayfs in the
// user namespace (Linux >= 5.11 with userxattr), else fuse-overlayfs, else a
// private copy of the layers (slow, but works everywhere). The user can force
// one: HUTCH_ROOTFS_MODE, or podman's `--storage-opt overlay.mount_program=PATH`.
import { isAbsolute } from 'node:path';
import { UsageError } from '../errors.js';

/** The three ways to build a rootfs, best first. */
export const ROOTFS_MODES = ['overlay', 'fuse-overlayfs', 'copy'] as const;
export type RootfsMode = (typeof ROOTFS_MODES)[number];

/** The environment variable that forces a mode. */
export const ROOTFS_MODE_ENV = 'HUTCH_ROOTFS_MODE';

/** Outcome of a probe that really tried (a mount in a fresh user namespace). */
export interface MountProbe {
  ok: boolean;
  /** The failing step, e.g. "open /dev/fuse: EACCES". */
  error?: string;
}

/** fuse-overlayfs, the device it needs, and whether a FUSE mount works in a user namespace. */
export interface FuseOverlayfsReport {
  path: string | null;
  /** /dev/fuse can be opened read-write by this user. */
  devFuse: boolean;
  /** A FUSE filesystem mounted in a fresh user+mount namespace; null when not tried. */
  mount: MountProbe | null;
}

/** What the user asked for; nothing set means automatic. */
export interface RootfsSetting {
  mode?: RootfsMode;
  /** fuse-overlayfs to run instead of the one found in PATH. */
  mountProgram?: string;
  /** Where the setting came from, quoted in reasons and errors. */
  source?: string;
}

/** The mode a container gets, and why. */
export interface RootfsChoice {
  mode: RootfsMode;
  /** The fuse-overlayfs executable (mode fuse-overlayfs only). */
  mountProgram: string | null;
  reason: string;
}

/** Reads HUTCH_ROOTFS_MODE and the `overlay.mount_program` storage option; throws UsageError for bad values. */
export function rootfsSetting(env: NodeJS.ProcessEnv, storageOpts: readonly string[] = []): RootfsSetting {
  const setting: RootfsSetting = {};
  const sources: string[] = [];
  for (const opt of storageOpts) {
    const eq = opt.indexOf('=');
    const key = eq < 0 ? opt : opt.slice(0, eq);
    const value = eq < 0 ? '' : opt.slice(eq + 1);
    if (key !== 'overlay.mount_program') {
      throw new UsageError(`--storage-opt ${JSON.stringify(opt)}: unknown option`, { hint: 'hutch knows overlay.mount_program=PATH (podman\'s option for fuse-overlayfs)' });
    }
    if (!isAbsolute(value)) throw new UsageError(`--storage-opt ${JSON.stringify(opt)}: the mount program must be an absolute path`);
    setting.mountProgram = value;
    setting.mode = 'fuse-overlayfs';
    sources.push(`--storage-opt ${opt}`);
  }
  const raw = env[ROOTFS_MODE_ENV];
  if (raw !== undefined && raw !== '') {
    if (!(ROOTFS_MODES as readonly string[]).includes(raw)) {
      throw new UsageError(`${ROOTFS_MODE_ENV}=${raw}: not a rootfs mode`, { hint: `use one of ${ROOTFS_MODES.join(', ')}, or unset it for automatic selection` });
    }
    if (setting.mountProgram !== undefined && raw !== 'fuse-overlayfs') {
      throw new UsageError(`${ROOTFS_MODE_ENV}=${raw} contradicts --storage-opt overlay.mount_program`, { hint: 'drop one of them' });
    }
    setting.mode = raw as RootfsMode;
    sources.unshift(`${ROOTFS_MODE_ENV}=${raw}`);
  }
  if (sources.length > 0) setting.source = sources.join(' and ');
  return setting;
}

/** Why fuse-overlayfs cannot serve a root here, or null when it can. */
export function fuseUnusable(fuse: FuseOverlayfsReport): string | null {
  if (fuse.path === null) return 'fuse-overlayfs is not installed';
  if (fuse.mount !== null && !fuse.mount.ok) return `fuse-overlayfs cannot mount (${fuse.mount.error ?? 'failed'})`;
  if (fuse.mount === null && !fuse.devFuse) return 'fuse-overlayfs cannot mount (/dev/fuse is not readable and writable)';
  return null;
}

/**
 * Picks the mode: the setting's when there is one, else the first that
 * works of kernel overlay (`overlay`, the probe's outcome; null: not tried),
 * fuse-overlayfs, and a copy.
 */
export function chooseRootfsMode(overlay: MountProbe | null, fuse: FuseOverlayfsReport, setting: RootfsSetting = {}): RootfsChoice {
  if (setting.mode !== undefined) {
    return { mode: setting.mode, mountProgram: setting.mode === 'fuse-overlayfs' ? fuse.path : null, reason: `set by ${setting.source ?? 'the user'}` };
  }
  if (overlay?.ok) return { mode: 'overlay', mountProgram: null, reason: 'kernel overlayfs mounts in a user namespace' };
  const overlayWhy = `kernel overlay failed (${overlay === null ? 'not tested' : overlay.error ?? 'failed'})`;
  const fuseWhy = fuseUnusable(fuse);
  if (fuseWhy === null) return { mode: 'fuse-overlayfs', mountProgram: fuse.path, reason: `${overlayWhy}; ${fuse.path} mounts in a user namespace` };
  return { mode: 'copy', mountProgram: null, reason: `${overlayWhy} and ${fuseWhy}: each container gets a copy of the image's layers` };
}
