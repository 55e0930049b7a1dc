// The probes Node cannot do itself, run through the native addon: each forks
// a child that tries the real thing (unshare, mount overlay, load a seccomp
// filter) and is reaped before the call returns, so nothing is left running
// and any mount dies with the child's mount namespace.
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NativeAddon, ProbeResult } from '../native/addon-types.js';
import type { HutchPaths } from '../paths.js';
import { log } from '../log.js';

/** Whether the native addon could be loaded. */
export interface AddonReport {
  loaded: boolean;
  /** Why not (the loader names every path it tried). */
  error?: string;
}

/** The outcome of one probe. */
export interface ProbeOutcome {
  ok: boolean;
  /** The failing step, e.g. "mount overlay: EPERM". */
  error?: string;
}

/** The overlay probe, and where its scratch directories were. */
export interface OverlayProbeOutcome extends ProbeOutcome {
  /** Directory the scratch lower/upper/work dirs were created in (its filesystem is what was tested). */
  testedIn: string;
}

/** The seccomp probe and the libseccomp version found. */
export interface SeccompProbeOutcome extends ProbeOutcome {
  libseccompVersion?: string;
}

/** Results of all native probes; a probe is null when the addon is missing. */
export interface NativeProbesReport {
  addon: AddonReport;
  userNamespace: ProbeOutcome | null;
  overlay: OverlayProbeOutcome | null;
  /** A FUSE mount (what fuse-overlayfs serves) in a fresh user namespace. */
  fuse: ProbeOutcome | null;
  seccomp: SeccompProbeOutcome | null;
}

function outcome(result: ProbeResult): ProbeOutcome {
  if (result.ok) return { ok: true };
  const what = result.syscall ?? 'probe';
  return { ok: false, error: `${what}: ${result.code ?? (result.errno !== undefined ? `errno ${result.errno}` : 'failed')}` };
}

function thrown(err: unknown): ProbeOutcome {
  return { ok: false, error: err instanceof Error ? err.message : String(err) };
}

/**
 * Where to create the overlay scratch dirs: the storage root's tmp/ when the
 * store exists, because overlay support depends on the filesystem the layers
 * live on (NFS, overlay-on-overlay fail); otherwise the system temp dir, so
 * that `hutch info` never creates the store.
 */
async function scratchParent(paths: HutchPaths): Promise<string> {
  try {
    if ((await stat(paths.root)).isDirectory()) {
      const dir = join(paths.root, 'tmp');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return dir;
    }
  } catch (err) {
    log.debug(`overlay probe: cannot use ${paths.root}/tmp: ${(err as Error).message}`);
  }
  return tmpdir();
}

/** Runs `probe` on fresh scratch dirs named `dirs` in the scratch parent, removed afterwards. */
async function withScratch(paths: HutchPaths, what: string, dirs: readonly string[], probe: (dirs: string[]) => ProbeResult): Promise<OverlayProbeOutcome> {
  const parent = await scratchParent(paths);
  let scratch: string | undefined;
  try {
    scratch = await mkdtemp(join(parent, `hutch-${what}-probe-`));
    const made = dirs.map((d) => join(scratch!, d));
    await Promise.all(made.map((d) => mkdir(d)));
    return { ...outcome(probe(made)), testedIn: parent };
  } catch (err) {
    return { ...thrown(err), testedIn: parent };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true }).catch((err: Error) => log.debug(`${what} probe: cannot remove ${scratch}: ${err.message}`));
  }
}

/** Mounts kernel overlayfs (userxattr) in a fresh user+mount namespace, on scratch dirs where the store lives. */
export function probeOverlay(addon: NativeAddon, paths: HutchPaths): Promise<OverlayProbeOutcome> {
  return withScratch(paths, 'overlay', ['lower', 'upper', 'work', 'merged'], ([lower, upper, work, merged]) => addon.probeOverlayInUserNamespace(lower!, upper!, work!, merged!));
}

/** Opens /dev/fuse and mounts a FUSE filesystem in a fresh user+mount namespace (no daemon needed to mount). */
export async function probeFuse(addon: NativeAddon, paths: HutchPaths): Promise<ProbeOutcome> {
  const { testedIn: _, ...result } = await withScratch(paths, 'fuse', ['merged'], ([merged]) => addon.probeFuseInUserNamespace(merged!));
  return result;
}

/** Runs the native probes with an already-loaded addon (or records why it could not be loaded). */
export async function runNativeProbes(addon: NativeAddon | Error, paths: HutchPaths): Promise<NativeProbesReport> {
  if (addon instanceof Error) {
    return { addon: { loaded: false, error: addon.message }, userNamespace: null, overlay: null, fuse: null, seccomp: null };
  }
  let userNamespace: ProbeOutcome;
  try {
    userNamespace = outcome(addon.probeUserNamespace());
  } catch (err) {
    userNamespace = thrown(err);
  }
  let seccomp: SeccompProbeOutcome;
  try {
    const result = addon.probeSeccomp();
    seccomp = { ...outcome(result), ...(result.libseccompVersion ? { libseccompVersion: result.libseccompVersion } : {}) };
  } catch (err) {
    seccomp = thrown(err);
  }
  const skipped = { ok: false, error: 'skipped: no user namespace' };
  const overlay = userNamespace.ok ? await probeOverlay(addon, paths) : { ...skipped, testedIn: '' };
  const fuse = userNamespace.ok ? await probeFuse(addon, paths) : skipped;
  return { addon: { loaded: true }, userNamespace, overlay, fuse, seccomp };
}
