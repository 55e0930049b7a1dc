// The shared path of `run` and `create`: find the image (pulling it when it
// is missing, as podman does), parse the options, and prepare the container.
import { readFile } from 'node:fs/promises';
import { findImage } from '../image/lookup.js';
import { rootfsSetting } from '../host/rootfs-mode.js';
import { initExecutablePath } from '../native/index.js';
import { parseRunOptions, type RawRunFlags, type RunOptions } from '../spec/run-options.js';
import type { ImageRecord, Store } from '../storage/store.js';
import { prepareContainer, type PreparedContainer } from './prepare.js';

/** Pulls the image when it is not stored yet, returning it and the name it is stored under. */
export type PullMissing = (image: string) => Promise<{ image: ImageRecord; name: string }>;

/** A prepared container and its parsed options. */
export interface CreatedContainer {
  container: PreparedContainer;
  options: RunOptions;
}

/** Parses options, ensures the image is stored, and prepares the container. */
export async function createFromCli(store: Store, request: { image: string; command: string[]; flags: RawRunFlags; autoRemove: boolean; pullMissing: PullMissing; storageOpts?: readonly string[] }): Promise<CreatedContainer> {
  const rootfs = rootfsSetting(process.env, request.storageOpts);
  const options = await parseRunOptions(request.flags, request.command, {
    hostEnv: process.env,
    cwd: process.cwd(),
    readTextFile: (path) => readFile(path, 'utf8'),
  });
  // Limits the host cannot enforce are refused before anything is pulled or created.
  if (options.resources !== undefined) {
    const [{ inspectCgroups, currentCgroupUser }, { requireEnforceable }] = await Promise.all([import('../host/cgroup.js'), import('./resources.js')]);
    requireEnforceable(options.resources, await inspectCgroups(currentCgroupUser()));
  }
  const found = findImage(store, request.image) ?? (await request.pullMissing(request.image));
  const container = await prepareContainer(store, found.image, options, {
    imageName: found.name ?? request.image,
    autoRemove: request.autoRemove,
    initPath: options.init ? initExecutablePath() : undefined,
    createOptions: { ...request.flags, command: request.command },
    rootfs,
  });
  return { container, options };
}
