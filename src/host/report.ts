// Gathers every host fact `hutch info` and `hutch doctor` show into one typed
// object. File reads run concurrently on libuv's pool while the native
// probes (synchronous fork+wait in the addon) occupy the main thread.
import { realpath } from 'node:fs/promises';
import type { NativeAddon } from '../native/addon-types.js';
import type { HutchPaths } from '../paths.js';
import { currentCgroupUser, inspectCgroups, type CgroupReport } from './cgroup.js';
import { readDistro, type DistroReport } from './distro.js';
import { inspectIdTool, type IdToolReport } from './id-tools.js';
import { kernelFacts, readUsernsSysctls, type UsernsSysctls } from './kernel.js';
import { findNetworkTools, type NetworkToolsReport } from './network-tools.js';
import {
  runNativeProbes,
  type AddonReport,
  type OverlayProbeOutcome,
  type ProbeOutcome,
  type SeccompProbeOutcome,
} from './probes.js';
import { inspectFuseOverlayfs } from './fuse-overlayfs.js';
import { chooseRootfsMode, rootfsSetting, type FuseOverlayfsReport, type RootfsMode } from './rootfs-mode.js';
import { inspectStorageLocation, type StorageLocationReport } from './storage-space.js';
import { freeRangeStart, readSubids, type SubidFileReport, type SubidRange } from './subids.js';
import { currentUser, type UserReport } from './user.js';

/** Everything hutch knows about the host; the shape of `hutch info --format json` (docs/doctor.md). */
export interface HostReport {
  /** Bumped when a field is removed or changes meaning. */
  schemaVersion: 1;
  host: { kernel: string; machine: string; arch: string; distro: DistroReport };
  user: UserReport;
  idmaps: {
    subuid: SubidFileReport;
    subgid: SubidFileReport;
    /** A 65536-id range free in both files, for the `usermod --add-subuids` fix. */
    suggestedRange: SubidRange;
    newuidmap: IdToolReport;
    newgidmap: IdToolReport;
  };
  namespaces: { sysctls: UsernsSysctls; userNamespace: ProbeOutcome | null; overlay: OverlayProbeOutcome | null };
  storage: { root: StorageLocationReport; runroot: StorageLocationReport };
  runtime: {
    addon: AddonReport;
    /** Real path of the Node binary running hutch (what an AppArmor profile must attach to). */
    node: string;
    /** The built hutch-runtime executable, or null when it is missing. */
    runtimeExecutable: string | null;
    rootfsMode: RootfsMode;
    /** Why that mode: the setting that forced it, or which probes failed. */
    rootfsReason: string;
    fuseOverlayfs: FuseOverlayfsReport;
    seccomp: SeccompProbeOutcome | null;
  };
  network: NetworkToolsReport;
  cgroups: CgroupReport;
}

/** Where the subordinate id files live and how to load the addon (overridable in tests). */
export interface GatherOptions {
  subuidFile?: string;
  subgidFile?: string;
  env?: NodeJS.ProcessEnv;
  /** --storage-opt values (overlay.mount_program). */
  storageOpts?: readonly string[];
  loadAddon?: () => Promise<NativeAddon>;
  locateRuntimeExecutable?: () => Promise<string | null>;
}

// 65536 ids cover every uid/gid an ordinary image uses (podman's default range size).
const SUGGESTED_COUNT = 65536;

async function loadDefaultAddon(): Promise<NativeAddon> {
  const { loadNative } = await import('../native/index.js');
  return loadNative();
}

async function locateDefaultRuntimeExecutable(): Promise<string | null> {
  try {
    const { runtimeExecutablePath } = await import('../native/index.js');
    return runtimeExecutablePath();
  } catch {
    return null;
  }
}

/** Collects the full host report for these storage paths. */
export async function gatherHostReport(paths: HutchPaths, options: GatherOptions = {}): Promise<HostReport> {
  const env = options.env ?? process.env;
  const setting = rootfsSetting(env, options.storageOpts);
  const user = currentUser();
  const kernel = kernelFacts();
  const addon = await (options.loadAddon ?? loadDefaultAddon)().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  const getxattr = addon instanceof Error ? null : (path: string, name: string) => addon.getxattr(path, name);
  const facts = Promise.all([
    readDistro(),
    readUsernsSysctls(),
    readSubids(options.subuidFile ?? '/etc/subuid', user),
    readSubids(options.subgidFile ?? '/etc/subgid', user),
    inspectIdTool('newuidmap', getxattr, env),
    inspectIdTool('newgidmap', getxattr, env),
    inspectStorageLocation(paths.root),
    inspectStorageLocation(paths.runroot),
    inspectFuseOverlayfs(env, '/dev/fuse', setting.mountProgram),
    findNetworkTools(env),
    inspectCgroups(currentCgroupUser()),
    (options.locateRuntimeExecutable ?? locateDefaultRuntimeExecutable)(),
    realpath(process.execPath).catch(() => process.execPath),
  ] as const);
  const probes = await runNativeProbes(addon, paths);
  const [distro, sysctls, subuid, subgid, newuidmap, newgidmap, root, runroot, fuseFound, network, cgroups, runtimeExecutable, node] =
    await facts;
  const fuseOverlayfs: FuseOverlayfsReport = { ...fuseFound, mount: probes.fuse };
  const rootfs = chooseRootfsMode(probes.overlay, fuseOverlayfs, setting);
  return {
    schemaVersion: 1,
    host: { kernel: kernel.release, machine: kernel.machine, arch: kernel.arch, distro },
    user,
    idmaps: {
      subuid: subuid.report,
      subgid: subgid.report,
      suggestedRange: { start: freeRangeStart([...subuid.entries, ...subgid.entries], SUGGESTED_COUNT), count: SUGGESTED_COUNT },
      newuidmap,
      newgidmap,
    },
    namespaces: { sysctls, userNamespace: probes.userNamespace, overlay: probes.overlay },
    storage: { root, runroot },
    runtime: {
      addon: probes.addon,
      node,
      runtimeExecutable,
      rootfsMode: rootfs.mode,
      rootfsReason: rootfs.reason,
      fuseOverlayfs,
      seccomp: probes.seccomp,
    },
    network,
    cgroups,
  };
}
