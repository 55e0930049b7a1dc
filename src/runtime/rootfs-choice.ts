// The root filesystem of a new container: which mode it gets (probing only
// what the decision needs: the kernel overlay mount first, then a FUSE mount),
// and, for the copy mode, the copy itself, made once in the container's dir.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HostError } from '../errors.js';
import { kernelRelease } from '../host/kernel-release.js';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { chooseRootfsMode, type RootfsChoice, type RootfsSetting } from '../host/rootfs-mode.js';
import type { HutchPaths } from '../paths.js';
import type { IdMappingPlan } from '../storage/userns.js';

const NOTHING_FOUND = { path: null, devFuse: false, mount: null };

/**
 * What a successful kernel overlay probe is remembered by: this boot, this
 * kernel, the store's filesystem. Probing mounts overlay in a throwaway user
 * namespace, about 20 ms of every create; the answer only changes with one of
 * these, and only a success is remembered (a failure probes again, so that
 * installing fuse-overlayfs or fixing the host takes effect at once).
 */
function overlayProbeKey(root: string): string | null {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return `${bootId} ${kernelRelease()} ${statSync(root).dev}\n`;
  } catch {
    return null;
  }
}

function overlayProbeRecord(root: string): string {
  return join(root, 'overlay-probe');
}

function overlayKnownToWork(root: string, key: string | null): boolean {
  if (key === null) return false;
  try {
    return readFileSync(overlayProbeRecord(root), 'utf8') === key;
  } catch {
    return false;
  }
}

/** Decides the rootfs mode for a container: the user's setting, or the first mode that works here. */
export async function decideRootfs(paths: HutchPaths, setting: RootfsSetting, env: NodeJS.ProcessEnv): Promise<RootfsChoice> {
  if (setting.mode === 'overlay' || setting.mode === 'copy') return chooseRootfsMode(null, NOTHING_FOUND, setting);
  if (setting.mode === 'fuse-overlayfs') {
    const { inspectFuseOverlayfs } = await import('../host/fuse-overlayfs.js');
    const found = await inspectFuseOverlayfs(env, '/dev/fuse', setting.mountProgram);
    if (found.path === null) {
      throw new HostError('ENOFUSEOVERLAYFS', `${setting.source ?? 'the rootfs setting'} asks for fuse-overlayfs, but ${setting.mountProgram ?? 'fuse-overlayfs'} is ${setting.mountProgram ? 'not an executable file' : 'not installed (not found in PATH)'}`, {
        hint: 'install fuse-overlayfs (Debian/Ubuntu: sudo apt-get install fuse-overlayfs), or unset HUTCH_ROOTFS_MODE for automatic selection',
      });
    }
    return chooseRootfsMode(null, { ...found, mount: null }, setting);
  }
  const key = overlayProbeKey(paths.root);
  if (overlayKnownToWork(paths.root, key)) return chooseRootfsMode({ ok: true }, NOTHING_FOUND, setting);
  const [{ loadNative }, { probeOverlay, probeFuse }, { inspectFuseOverlayfs }] = await Promise.all([import('../native/index.js'), import('../host/probes.js'), import('../host/fuse-overlayfs.js')]);
  const addon = loadNative();
  const overlay = await probeOverlay(addon, paths);
  if (overlay.ok) {
    if (key !== null) writeFileAtomic(overlayProbeRecord(paths.root), key);
    return chooseRootfsMode(overlay, NOTHING_FOUND, setting);
  }
  const found = await inspectFuseOverlayfs(env);
  const mount = found.path === null ? null : await probeFuse(addon, paths);
  return chooseRootfsMode(overlay, { ...found, mount }, setting);
}

/**
 * Fills `dest` (empty) with the merged layers (`lowerDirs`, top first), as
 * `hutch-runtime rootfs-copy` inside the store's user namespace, so every file
 * keeps the owner it has in the layers.
 */
export async function copyRootfs(plan: IdMappingPlan, lowerDirs: readonly string[], dest: string): Promise<void> {
  const [{ runInUserns }, { runtimeExecutablePath }] = await Promise.all([import('../storage/userns.js'), import('../native/index.js')]);
  const runtime = runtimeExecutablePath();
  const { subprocess } = await runInUserns(plan, runtime, ['rootfs-copy', '--lower', lowerDirs.join(':'), '--dest', dest]);
  const result = await subprocess;
  if (result.exitCode !== 0) {
    const why = String(result.stderr).trim() || `exit ${result.exitCode ?? result.signal}`;
    throw new HostError('EROOTFSCOPY', `cannot copy the image's layers into \`${dest}\` (rootfs mode copy): ${why}`, {
      hint: 'check free space (`hutch system df`, `df`) and that user namespaces work (`hutch info`)',
    });
  }
}
