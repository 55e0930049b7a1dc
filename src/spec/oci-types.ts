// TypeScript types for the subset of the OCI runtime-spec config.json
// (config.md, config-linux.md) that hutch generates. Field names follow the
// spec exactly: this object is serialised as-is for the native runtime.
import type { LinuxResources } from './resources.js';

/** The runtime-spec version hutch's config.json declares. */
export const OCI_VERSION = '1.2.0';

/**
 * An rlimit value: uint64 in the spec. RLIM_INFINITY (2^64-1) does not fit a
 * JS number, so it is carried as a bigint and written by serializeSpec.
 */
export type RlimitValue = number | bigint;

/** process.rlimits[] entry. */
export interface OciRlimit {
  type: string;
  soft: RlimitValue;
  hard: RlimitValue;
}

/** process.user. */
export interface OciUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

/** process.capabilities: the five capability sets, CAP_* names. */
export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  inheritable: string[];
  permitted: string[];
  ambient: string[];
}

/** process. */
export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits: OciRlimit[];
  noNewPrivileges: boolean;
}

/** mounts[] entry. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** linux.namespaces[] entry. */
export interface OciNamespace {
  type: 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';
  path?: string;
}

/** linux.uidMappings / gidMappings entry. */
export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** linux.devices[] entry. */
export interface OciDevice {
  path: string;
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

/** linux.seccomp.syscalls[].args[] entry. */
export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

/** linux.seccomp.syscalls[] entry. */
export interface OciSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** linux.seccomp. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls: OciSeccompSyscall[];
}

/** linux. */
export interface OciLinux {
  namespaces: OciNamespace[];
  uidMappings: OciIdMapping[];
  gidMappings: OciIdMapping[];
  devices: OciDevice[];
  seccomp?: OciSeccomp;
  /** config-linux.md "Control groups": the limits hutch-runtime writes to the container's cgroup. */
  resources?: LinuxResources;
  /** config-linux.md "Sysctl": kernel parameters of the container's own namespaces. */
  sysctl?: Record<string, string>;
  maskedPaths: string[];
  readonlyPaths: string[];
}

/** The whole config.json. */
export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  annotations: Record<string, string>;
  linux: OciLinux;
}
