// Builds the OCI runtime-spec config.json for one container from the image
// config, the parsed `hutch run` options and facts about the host. Pure: all
// file reading (passwd/group, seccomp profile) happens before, in the caller.
import { posix } from 'node:path';
import { HostError, InvalidContentError } from '../errors.js';
import { ROOTFS_ANNOTATIONS } from './annotations.js';
import { capabilitySets, type CapabilityHost } from './capabilities.js';
import { resolveCommand } from './command.js';
import { buildEnv } from './env.js';
import { idMappings, isMapped, type IdHost } from './idmap.js';
import { INIT_PATH_IN_CONTAINER, buildMounts, defaultDevices, maskedPaths, DEFAULT_READONLY_PATHS, type EtcFilePaths, type SourceMountFlags } from './mounts.js';
import { OCI_VERSION, type OciNamespace, type OciRlimit, type OciSpec, type RlimitValue } from './oci-types.js';
import type { RunOptions, SeccompChoice } from './run-options.js';
import { SECCOMP_ENOSYS_ANNOTATION, defaultSeccompProfilePath, loadSeccompProfile, seccompToOci, wantsEnosysStub, type SeccompProfile } from './seccomp.js';
import { resolveUser, type UserFiles } from './user.js';
import type { RootfsMode } from '../host/rootfs-mode.js';

/** Annotations hutch sets for its native runtime (the contract is in docs/run.md). */
export const ANNOTATIONS = {
  ...ROOTFS_ANNOTATIONS,
  /** "true": add runc's ENOSYS stub for syscalls newer than the profile. */
  seccompEnosys: SECCOMP_ENOSYS_ANNOTATION,
  /** A directory of the user's where the runtime keeps compiled seccomp programs between runs. */
  seccompCache: 'run.hutch.seccomp.cache',
} as const;

/** RLIM_INFINITY as the spec's uint64. */
export const RLIM_INFINITY = 2n ** 64n - 1n;

/** podman's default for RLIMIT_NOFILE and RLIMIT_NPROC (define.RLimitDefaultValue). */
export const RLIMIT_DEFAULT = 1048576;

/** The image config fields (image-spec config.md `config`) that shape the container. */
export interface ImageConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
}

/** The image as stored. */
export interface ImageInput {
  config: ImageConfig;
  /** Layer diff dirs, TOP FIRST (overlayfs lowerdir order). */
  lowerDirs: readonly string[];
}

/** A soft/hard pair; Infinity means RLIM_INFINITY. */
export interface HostRlimit {
  soft: number;
  hard: number;
}

/** Facts about the host and the calling user. */
export interface HostFacts extends IdHost, CapabilityHost {
  /** Node's process.arch. */
  arch: string;
  /** uname release (os.release()). */
  kernelRelease: string;
  /** The caller's limits by RLIMIT_* name (from /proc/self/limits); defaults are clamped to them. */
  rlimits: Readonly<Record<string, HostRlimit>>;
  /** Host path of the init binary for --init. */
  initPath?: string;
  /** Whether the kernel supports mqueue (default true). */
  mqueue?: boolean;
  /** Existing /sys/devices/system/cpu/cpu<N>/thermal_throttle dirs (podman masks them). */
  thermalThrottlePaths?: readonly string[];
  /** statfs flags of a bind source. */
  sourceMountFlags?: (source: string) => SourceMountFlags | undefined;
}

/** Per-container paths chosen by the caller. */
export interface ContainerFacts {
  id: string;
  /** Where the native runtime mounts the overlay and pivots into (mode copy: the copy itself). */
  rootfs: string;
  upperDir: string;
  workDir: string;
  etcFiles: EtcFilePaths;
  rootfsMode: RootfsMode;
  /** The fuse-overlayfs executable, required with mode fuse-overlayfs. */
  mountProgram?: string | null;
  /** Where the runtime may keep compiled seccomp programs (ANNOTATIONS.seccompCache); none when absent. */
  seccompCacheDir?: string;
}

/** Everything generateSpec needs. */
export interface GenerateInput {
  image: ImageInput;
  options: RunOptions;
  host: HostFacts;
  container: ContainerFacts;
  /** The image's /etc/passwd and /etc/group (readUserFiles). */
  userFiles: UserFiles;
  /** The loaded profile, or null for seccomp=unconfined (loadSeccompFor). */
  seccompProfile: SeccompProfile | null;
}

/** Loads the profile a SeccompChoice names: the shipped default, a file, or none. */
export async function loadSeccompFor(choice: SeccompChoice): Promise<SeccompProfile | null> {
  if (choice.kind === 'unconfined') return null;
  return loadSeccompProfile(choice.kind === 'file' ? choice.path : defaultSeccompProfilePath());
}

function rlimitValue(n: number): RlimitValue {
  return n === Infinity || n >= Number.MAX_SAFE_INTEGER ? RLIM_INFINITY : n;
}

function rlimits(options: RunOptions, host: HostFacts): OciRlimit[] {
  const out: OciRlimit[] = options.ulimits.map((u) => {
    // podman ClampRlimitToHost: -1 (unlimited) becomes the caller's hard limit, which an unprivileged process cannot exceed.
    const max = host.rlimits[u.type]?.hard ?? Infinity;
    return { type: u.type, soft: rlimitValue(u.soft === -1 ? max : u.soft), hard: rlimitValue(u.hard === -1 ? max : u.hard) };
  });
  for (const type of ['RLIMIT_NOFILE', 'RLIMIT_NPROC']) {
    if (out.some((r) => r.type === type)) continue;
    const h = host.rlimits[type];
    // Raising a hard limit needs CAP_SYS_RESOURCE in the initial user namespace, which a container never has.
    out.push({ type, soft: rlimitValue(Math.min(RLIMIT_DEFAULT, h?.soft ?? Infinity)), hard: rlimitValue(Math.min(RLIMIT_DEFAULT, h?.hard ?? Infinity)) });
  }
  return out;
}

function checkOverlayDir(dir: string, what: string): string {
  // overlayfs splits lowerdir on ':' and the option string on ','; such a path cannot be expressed.
  if (!dir.startsWith('/') || /[:,\n\0]/.test(dir)) {
    throw new InvalidContentError(`overlay ${what} \`${dir}\` must be an absolute path without ':' or ','`, {
      hint: 'move the storage root (--root) to a path without those characters',
    });
  }
  return dir;
}

/** The run.hutch.rootfs.* and (except for a copy, which root.path already is) run.hutch.overlay.* annotations. */
function rootfsAnnotations(image: ImageInput, container: ContainerFacts): Record<string, string> {
  const out: Record<string, string> = { [ANNOTATIONS.rootfsMode]: container.rootfsMode };
  if (container.rootfsMode === 'copy') return out;
  out[ANNOTATIONS.lowerDirs] = image.lowerDirs.map((d) => checkOverlayDir(d, 'lower dir')).join(':');
  out[ANNOTATIONS.upperDir] = checkOverlayDir(container.upperDir, 'upper dir');
  out[ANNOTATIONS.workDir] = checkOverlayDir(container.workDir, 'work dir');
  if (container.rootfsMode === 'fuse-overlayfs') {
    if (!container.mountProgram?.startsWith('/')) throw new InvalidContentError('rootfs mode fuse-overlayfs needs the absolute path of fuse-overlayfs');
    out[ANNOTATIONS.mountProgram] = container.mountProgram;
  }
  return out;
}

function workingDir(options: RunOptions, image: ImageConfig): string {
  if (options.workdir !== undefined) return options.workdir;
  // A relative WorkingDir in an image config is taken from / (Docker and buildkit do so).
  return image.WorkingDir ? posix.normalize(posix.join('/', image.WorkingDir)) : '/';
}

/**
 * podman's default_sysctls (containers.conf): ICMP echo sockets for group 0,
 * so `ping` works as container root without CAP_NET_RAW. The key belongs to
 * a network namespace, so only a private one gets it.
 */
const PRIVATE_NETWORK_SYSCTLS: Readonly<Record<string, string>> = { 'net.ipv4.ping_group_range': '0 0' };

/** Generates config.json for the container. */
export function generateSpec(input: GenerateInput): OciSpec {
  const { image, options, host, container } = input;
  const maps = idMappings(host, options.userns);
  const userSpec = options.user ?? (options.userns === 'keep-id' ? `${host.uid}:${host.gid}` : image.config.User || undefined);
  const user = resolveUser(userSpec, input.userFiles);
  const capabilities = capabilitySets({ capAdd: options.capAdd, capDrop: options.capDrop, uid: user.uid }, host);
  const hostname = options.hostname ?? container.id.slice(0, 12);

  let args = resolveCommand(image.config, options.entrypoint, options.command);
  let initPath: string | undefined;
  if (options.init) {
    if (host.initPath === undefined) {
      throw new HostError('ENOINIT', '--init: no init binary is available', { hint: 'build hutch (npm run build:addon) so that its init binary exists' });
    }
    initPath = host.initPath;
    args = [INIT_PATH_IN_CONTAINER, '--', ...args];
  }

  const namespaces: OciNamespace[] = [{ type: 'pid' }, ...(options.network === 'none' ? [{ type: 'network' as const }] : []), { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }, { type: 'user' }];

  const seccomp = input.seccompProfile === null ? undefined : seccompToOci(input.seccompProfile, { bounding: capabilities.bounding, arch: host.arch, kernelRelease: host.kernelRelease });

  if (image.lowerDirs.length === 0) throw new InvalidContentError('the image has no layers to mount');
  const annotations: Record<string, string> = { ...options.annotations, ...rootfsAnnotations(image, container) };
  if (seccomp && wantsEnosysStub(seccomp)) annotations[ANNOTATIONS.seccompEnosys] = 'true';
  if (seccomp && container.seccompCacheDir !== undefined) annotations[ANNOTATIONS.seccompCache] = container.seccompCacheDir;

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: options.tty,
      user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
      args,
      env: buildEnv({ imageEnv: image.config.Env, userEnv: options.env, tty: options.tty, hostname, home: user.home }),
      cwd: workingDir(options, image.config),
      capabilities,
      rlimits: rlimits(options, host),
      noNewPrivileges: options.noNewPrivileges,
    },
    root: { path: container.rootfs, readonly: options.readOnly },
    hostname,
    mounts: buildMounts({
      network: options.network,
      readOnly: options.readOnly,
      readOnlyTmpfs: options.readOnlyTmpfs,
      userMounts: options.mounts,
      etcFiles: container.etcFiles,
      gid5Mapped: isMapped(maps.gidMappings, 5),
      mqueue: host.mqueue ?? true,
      initPath,
      ...(host.sourceMountFlags ? { sourceMountFlags: host.sourceMountFlags } : {}),
    }),
    annotations,
    linux: {
      namespaces,
      uidMappings: maps.uidMappings,
      gidMappings: maps.gidMappings,
      devices: defaultDevices(),
      maskedPaths: maskedPaths(options.network, host.thermalThrottlePaths ?? []),
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
  if (seccomp) spec.linux.seccomp = seccomp;
  if (options.network === 'none') spec.linux.sysctl = { ...PRIVATE_NETWORK_SYSCTLS };
  // No cgroupsPath: hutch-runtime makes `hutch-<id>` beside the caller's cgroup, required only with limits.
  if (options.resources) spec.linux.resources = options.resources;
  return spec;
}

/** Serialises a spec to config.json text, writing bigint rlimits (RLIM_INFINITY) as exact JSON integers. */
export function serializeSpec(spec: OciSpec): string {
  const marker = '@@hutch-uint64:';
  const text = JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? `${marker}${v.toString()}` : v), 2);
  return text.replace(new RegExp(`"${marker}(\\d+)"`, 'g'), '$1');
}
