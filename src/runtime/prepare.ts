// Creating a container from a stored image and the user's run options: its
// record and directories, the generated /etc files, and the OCI bundle's
// config.json (src/spec/ does the translation; this module gathers the
// inputs and writes the result).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from '../errors.js';
import { loadImage } from '../image/local.js';
import type { ImageRecord, Store } from '../storage/store.js';
import { resolveCommand } from '../spec/command.js';
import { generateSpec, loadSeccompFor, serializeSpec } from '../spec/generate.js';
import type { OciSpec } from '../spec/oci-types.js';
import type { RunOptions } from '../spec/run-options.js';
import { readUserFiles } from '../spec/user.js';
import { createContainerRecord, removeContainerFiles, type ContainerPaths, type ContainerRecord } from './container-store.js';
import { generateEtcFiles } from './etc-files.js';
import { gatherHostFacts } from './host-facts.js';
import type { RootfsChoice, RootfsSetting } from '../host/rootfs-mode.js';
import { copyRootfs, decideRootfs } from './rootfs-choice.js';

/** A container ready to start: its record, paths and generated spec. */
export interface PreparedContainer {
  record: ContainerRecord;
  paths: ContainerPaths;
  spec: OciSpec;
  /** How its root filesystem is built, and why. */
  rootfs: RootfsChoice;
}

/** Extra facts the caller decides. */
export interface PrepareContext {
  /** The image name as the user typed it (shown by ps). */
  imageName: string;
  /** Remove the container when it exits. */
  autoRemove: boolean;
  /** Host path of hutch-init, for --init. */
  initPath: string | undefined;
  /** The user's flags, kept in the record for inspect. */
  createOptions: Record<string, unknown>;
  /** How the root filesystem is built (HUTCH_ROOTFS_MODE, --storage-opt); empty: automatic. */
  rootfs: RootfsSetting;
}

function readHostFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Creates the container. On any failure after its directory exists, the
 * directory is removed again: a failed create leaves nothing behind.
 */
export async function prepareContainer(store: Store, image: ImageRecord, options: RunOptions, context: PrepareContext): Promise<PreparedContainer> {
  for (const mount of options.mounts) {
    if (mount.kind === 'bind' && !existsSync(mount.source)) {
      throw new NotFoundError(`bind mount source \`${mount.source}\` does not exist`, { hint: 'create it first, or fix the -v/--mount source path' });
    }
  }
  const loaded = loadImage(store, image);
  const lowerDirs = [...image.layers].reverse().map((id) => store.layerDiffPath(id));
  const [userFiles, seccompProfile, host, rootfs] = await Promise.all([
    readUserFiles(lowerDirs),
    loadSeccompFor(options.seccomp),
    gatherHostFacts(context.initPath),
    decideRootfs({ root: store.root, runroot: '' }, context.rootfs, process.env),
  ]);
  const config = loaded.config.config;
  const imageConfig = {
    ...(config.user !== undefined ? { User: config.user } : {}),
    Env: config.env,
    Entrypoint: config.entrypoint ?? null,
    Cmd: config.cmd ?? null,
    ...(config.workingDir !== undefined ? { WorkingDir: config.workingDir } : {}),
  };
  const { record, paths } = await createContainerRecord(store, {
    ...(options.name !== undefined ? { name: options.name } : {}),
    image: { id: image.id, name: context.imageName },
    command: resolveCommand(imageConfig, options.entrypoint, options.command),
    autoRemove: context.autoRemove,
    stopSignal: config.stopSignal ?? 'SIGTERM',
    labels: config.labels,
    createOptions: context.createOptions,
  });
  try {
    const hostname = options.hostname ?? record.id.slice(0, 12);
    const etc = generateEtcFiles({ hostname, hostResolvConf: readHostFile('/etc/resolv.conf'), network: options.network, hostHosts: readHostFile('/etc/hosts') });
    const etcFiles = { hostname: join(paths.bundle, 'hostname'), hosts: join(paths.bundle, 'hosts'), resolvConf: join(paths.bundle, 'resolv.conf') };
    writeFileSync(etcFiles.hostname, etc['/etc/hostname'], { mode: 0o644 });
    writeFileSync(etcFiles.hosts, etc['/etc/hosts'], { mode: 0o644 });
    writeFileSync(etcFiles.resolvConf, etc['/etc/resolv.conf'], { mode: 0o644 });
    if (rootfs.mode === 'copy') {
      // The copy's root keeps this directory's attributes, as an overlay root
      // keeps its upper dir's: traversable by every container user.
      chmodSync(paths.rootfs, 0o755);
      await copyRootfs(store.plan, lowerDirs, paths.rootfs);
    }
    const spec = generateSpec({
      image: { config: imageConfig, lowerDirs },
      options: { ...options, hostname },
      host,
      container: { id: record.id, rootfs: paths.rootfs, upperDir: paths.upper, workDir: paths.work, etcFiles, rootfsMode: rootfs.mode, mountProgram: rootfs.mountProgram, seccompCacheDir: store.seccompCacheDir },
      userFiles,
      seccompProfile,
    });
    writeFileSync(join(paths.bundle, 'config.json'), serializeSpec(spec), { mode: 0o600 });
    return { record, paths, spec, rootfs };
  } catch (err) {
    await removeContainerFiles(store, record.id);
    throw err;
  }
}
