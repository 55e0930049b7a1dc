// `hutch inspect` of a container: podman's field names (Id, Name, State{...},
// Config, HostConfig, Mounts...) filled from the record, the bundle's
// config.json and the derived state.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OciSpec } from '../spec/oci-types.js';
import { ROOTFS_ANNOTATIONS } from '../spec/annotations.js';
import type { ContainerPaths, ContainerRecord } from './container-store.js';
import { containerPaths } from './container-store.js';
import type { ContainerState } from './container-state.js';
import type { MonitorSettings } from './lifecycle.js';

// Go's zero time, which podman prints for times that never happened.
const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * The root filesystem as podman names its storage: "overlay" for kernel
 * overlayfs and fuse-overlayfs (podman's overlay driver with a mount_program),
 * "vfs" for a copy (podman's copying driver).
 */
function rootfsDocument(annotations: Record<string, string>, paths: ContainerPaths): { rootfsMode: string; graphDriver: { Name: string; Data: Record<string, string> } } {
  const rootfsMode = annotations[ROOTFS_ANNOTATIONS.rootfsMode] ?? 'overlay';
  if (rootfsMode === 'copy') return { rootfsMode, graphDriver: { Name: 'vfs', Data: { Dir: paths.rootfs } } };
  const data: Record<string, string> = { UpperDir: paths.upper, WorkDir: paths.work, LowerDir: annotations[ROOTFS_ANNOTATIONS.lowerDirs] ?? '' };
  const program = annotations[ROOTFS_ANNOTATIONS.mountProgram];
  if (program !== undefined) data.MountProgram = program;
  return { rootfsMode, graphDriver: { Name: 'overlay', Data: data } };
}

/** The inspect document (pure given its inputs). */
export function containerInspectDocument(input: { record: ContainerRecord; state: ContainerState; spec: OciSpec | null; root: string; settings: MonitorSettings; logPath: string }): Record<string, unknown> {
  const { record, state, spec, settings } = input;
  const paths = containerPaths(input.root, record.id);
  const process = spec?.process;
  const mounts = (spec?.mounts ?? []).filter((m) => m.type === 'bind' || (m.options ?? []).includes('bind') || (m.options ?? []).includes('rbind'));
  const { rootfsMode, graphDriver } = rootfsDocument(spec?.annotations ?? {}, paths);
  return {
    Id: record.id,
    Created: record.created,
    Path: record.command[0] ?? '',
    Args: record.command.slice(1),
    State: {
      OciVersion: spec?.ociVersion ?? '',
      Status: state.status,
      Running: state.status === 'running',
      Paused: state.status === 'paused',
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: state.pid ?? 0,
      ExitCode: state.exitCode ?? 0,
      Error: '',
      StartedAt: state.startedAt ?? ZERO_TIME,
      FinishedAt: state.finishedAt ?? ZERO_TIME,
    },
    Image: record.image.id.replace(/^sha256:/, ''),
    ImageName: record.image.name,
    Rootfs: '',
    ResolvConfPath: join(paths.bundle, 'resolv.conf'),
    HostnamePath: join(paths.bundle, 'hostname'),
    HostsPath: join(paths.bundle, 'hosts'),
    StaticDir: paths.dir,
    OCIConfigPath: join(paths.bundle, 'config.json'),
    OCIRuntime: 'hutch-runtime',
    LogPath: input.logPath,
    Name: record.name,
    RestartCount: state.restartCount,
    Driver: graphDriver.Name,
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    GraphDriver: graphDriver,
    RootfsMode: rootfsMode,
    Mounts: mounts.map((m) => ({
      Type: 'bind',
      Source: m.source ?? '',
      Destination: m.destination,
      Driver: '',
      Mode: '',
      Options: (m.options ?? []).filter((o) => o !== 'ro' && o !== 'rw'),
      RW: !(m.options ?? []).includes('ro'),
      Propagation: (m.options ?? []).find((o) => /^r?(private|shared|slave|unbindable)$/.test(o)) ?? '',
    })),
    Config: {
      Hostname: spec?.hostname ?? '',
      User: process?.user ? `${process.user.uid}:${process.user.gid}` : '',
      Env: process?.env ?? [],
      Cmd: record.command,
      Image: record.image.name,
      WorkingDir: process?.cwd ?? '/',
      Entrypoint: '',
      Labels: record.labels ?? {},
      Annotations: spec?.annotations ?? {},
      StopSignal: record.stopSignal,
      Tty: settings.tty,
      OpenStdin: settings.interactive,
      CreateCommand: record.createOptions,
    },
    HostConfig: {
      AutoRemove: record.autoRemove,
      RestartPolicy: { Name: settings.restart.name === 'no' ? '' : settings.restart.name, MaximumRetryCount: settings.restart.maxRetries ?? 0 },
      LogConfig: { Type: 'k8s-file', Path: input.logPath, Size: settings.logMaxSize !== undefined ? String(settings.logMaxSize) : '0B' },
      NetworkMode: (spec?.linux?.namespaces ?? []).some((ns) => ns.type === 'network') ? 'none' : 'host',
      ReadonlyRootfs: spec?.root?.readonly ?? false,
      CapAdd: [],
      CapDrop: [],
      ...resourceFields(spec),
    },
  };
}

// podman's HostConfig limits from linux.resources (0: none; MemorySwap -1: unlimited swap).
function resourceFields(spec: OciSpec | null): Record<string, number> {
  const resources = spec?.linux?.resources;
  const cpu = resources?.cpu;
  return {
    Memory: resources?.memory?.limit ?? 0,
    MemorySwap: resources?.memory?.swap ?? 0,
    NanoCpus: cpu ? Math.round((cpu.quota / cpu.period) * 1e9) : 0,
    PidsLimit: resources?.pids?.limit ?? 0,
  };
}

/** Reads the bundle's config.json; null when it is gone or damaged. */
export function readContainerSpec(root: string, id: string): OciSpec | null {
  try {
    return JSON.parse(readFileSync(join(containerPaths(root, id).bundle, 'config.json'), 'utf8')) as OciSpec;
  } catch {
    return null;
  }
}
