// Containers in storage: containers/<id>/container.json (what was asked for,
// written once at create and on rename) beside the container's bundle
// (config.json, generated /etc files) and its overlay upper/work dirs.
// Creation and name changes happen under the store lock, so names stay unique
// across concurrent hutch processes. Listing is all `ps` needs: the modules
// that only creating, renaming and removing use (crypto for IDs and temporary
// names, the user-namespace spawner) are imported by those functions.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HutchError, NotFoundError, fromNodeError } from '../errors.js';
import { fsyncDir, writeFileAtomic, writeFileVolatile } from '../storage/atomic-file.js';
import type { Store } from '../storage/store.js';
import { generateName, newContainerId, validateContainerName } from './container-id.js';

/** What a container was created from and with; written at create. */
export interface ContainerRecord {
  id: string;
  name: string;
  /** The image ID (config digest) and the name the user gave. */
  image: { id: string; name: string };
  created: string;
  /** The resolved command line (entrypoint + cmd), for `ps`. */
  command: string[];
  /** Remove the container when it exits (`--rm`). */
  autoRemove: boolean;
  /** The image's StopSignal or the default. */
  stopSignal: string;
  labels: Record<string, string>;
  /** The user's flags, kept for inspect and restart. */
  createOptions: Record<string, unknown>;
}

/** Paths of one container's files. */
export interface ContainerPaths {
  dir: string;
  /** The OCI bundle: config.json and generated files. */
  bundle: string;
  upper: string;
  work: string;
  /** The overlay mount point (root.path). */
  rootfs: string;
}

const ID_RE = /^[a-f0-9]{64}$/;

/** The paths of container `id` under the storage root. */
export function containerPaths(root: string, id: string): ContainerPaths {
  if (!ID_RE.test(id)) throw new HutchError('EINTERNAL', `invalid container id ${JSON.stringify(id)}`);
  // Concatenated, not path.join'ed: `ps` builds these for every container, and path.join's
  // normalisation runs interpreted in a short-lived CLI (~20 µs a call). The root is already resolved.
  const dir = `${root}/containers/${id}`;
  return { dir, bundle: `${dir}/bundle`, upper: `${dir}/upper`, work: `${dir}/work`, rootfs: `${dir}/rootfs` };
}

// An empty record is what a power cut can leave of a --rm container's
// unsynced container.json (createContainerRecord): not a container, like a missing one.
function readRecord(path: string): ContainerRecord | null {
  try {
    const text = readFileSync(path, 'utf8');
    return text === '' ? null : (JSON.parse(text) as ContainerRecord);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    if (err instanceof SyntaxError) {
      throw new HutchError('ESTORECORRUPT', `\`${path}\` is not valid JSON`, { cause: err, hint: 'remove that container directory by hand' });
    }
    throw fromNodeError(err, path);
  }
}

/** All containers, oldest first. */
export function listContainers(root: string): ContainerRecord[] {
  const dir = join(root, 'containers');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => ID_RE.test(name))
    .map((id) => readRecord(`${dir}/${id}/container.json`))
    .filter((r): r is ContainerRecord => r !== null)
    // ISO 8601 timestamps of one format sort as strings; localeCompare would cost ICU collation per comparison.
    .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
}

/** Finds a container by full name, full ID or unique ID prefix. */
export function findContainer(root: string, input: string, all: ContainerRecord[] = listContainers(root)): ContainerRecord | null {
  const byName = all.find((c) => c.name === input || c.id === input);
  if (byName) return byName;
  if (!/^[a-f0-9]{1,64}$/.test(input)) return null;
  const matches = all.filter((c) => c.id.startsWith(input));
  if (matches.length > 1) throw new HutchError('EAMBIGUOUS', `container ID prefix ${JSON.stringify(input)} is ambiguous: it matches ${matches.length} containers`, { hint: 'give more digits of the ID, or the name' });
  return matches[0] ?? null;
}

/** Like findContainer, but throws NotFoundError. */
export function requireContainer(root: string, input: string, all?: ContainerRecord[]): ContainerRecord {
  const found = findContainer(root, input, all);
  if (!found) throw new NotFoundError(`no container with name or ID ${JSON.stringify(input)} found: no such container`, { hint: 'list containers with `hutch ps -a`' });
  return found;
}

/** IDs of the containers created from image `imageId` (for rmi). */
export function containersUsingImage(root: string, imageId: string): string[] {
  return listContainers(root)
    .filter((c) => c.image.id === imageId)
    .map((c) => c.name);
}

/** What createContainer needs besides the store. */
export type NewContainer = Omit<ContainerRecord, 'id' | 'name' | 'created'> & { name?: string };

/**
 * Allocates a container: a fresh ID, a unique name (given or generated), its
 * directories, and container.json written last so a crash leaves nothing
 * that lists as a container.
 */
export async function createContainerRecord(store: Store, request: NewContainer): Promise<{ record: ContainerRecord; paths: ContainerPaths }> {
  const name = request.name !== undefined ? validateContainerName(request.name) : undefined;
  return store.withStoreLock(() => {
    const existing = listContainers(store.root);
    const taken = new Set(existing.map((c) => c.name));
    if (name !== undefined && taken.has(name)) {
      const owner = existing.find((c) => c.name === name)!;
      throw new HutchError('ENAMEINUSE', `the container name "${name}" is already in use by ${owner.id.slice(0, 12)}`, {
        hint: 'remove that container (`hutch rm`) or choose another name',
      });
    }
    const id = newContainerId();
    const paths = containerPaths(store.root, id);
    // Made complete in this process's staging dir and renamed into place, so a
    // hutch killed meanwhile leaves no half-made container, only staging that
    // the next start-up sweeps.
    const staged = `${store.stagingDir}/container-${id}`;
    const stagedPaths = { bundle: `${staged}/bundle`, work: `${staged}/work`, rootfs: `${staged}/rootfs`, upper: `${staged}/upper` };
    for (const dir of [staged, stagedPaths.bundle, stagedPaths.work, stagedPaths.rootfs]) mkdirSync(dir, { mode: 0o700 });
    // overlayfs takes the root directory's attributes from the upper dir: it must be
    // traversable by every container user (the container dir around it stays private).
    mkdirSync(stagedPaths.upper, { mode: 0o755 });
    chmodSync(stagedPaths.upper, 0o755);
    const record: ContainerRecord = { ...request, id, name: name ?? generateName(taken), created: new Date().toISOString() };
    // A --rm container lives for one command, so its record skips the
    // fsyncs (tens of ms on ext4): a power cut can only leave it empty or missing.
    const write = request.autoRemove ? writeFileVolatile : writeFileAtomic;
    write(`${staged}/container.json`, `${JSON.stringify(record, null, 2)}\n`);
    mkdirSync(join(paths.dir, '..'), { recursive: true, mode: 0o700 });
    renameSync(staged, paths.dir);
    if (!request.autoRemove) fsyncDir(join(paths.dir, '..'));
    return { record, paths };
  });
}

/** Renames a container, keeping names unique. */
export async function renameContainer(store: Store, input: string, newName: string): Promise<void> {
  validateContainerName(newName);
  await store.withStoreLock(() => {
    const all = listContainers(store.root);
    const record = findContainer(store.root, input, all);
    if (!record) throw new NotFoundError(`no container with name or ID ${JSON.stringify(input)} found: no such container`);
    if (all.some((c) => c.name === newName && c.id !== record.id)) throw new HutchError('ENAMEINUSE', `the container name "${newName}" is already in use`);
    writeFileAtomic(join(containerPaths(store.root, record.id).dir, 'container.json'), `${JSON.stringify({ ...record, name: newName }, null, 2)}\n`);
  });
}

/**
 * Deletes a container's files. The directory is first renamed away under the
 * store lock (so it stops listing at once and two concurrent removals cannot
 * both proceed), then removed inside the user namespace, since the upper
 * layer holds files that subordinate ids own.
 */
export async function removeContainerFiles(store: Store, id: string): Promise<void> {
  const paths = containerPaths(store.root, id);
  const doomed = join(store.root, 'tmp', `rm-${id}`);
  const moved = await store.withStoreLock(() => {
    if (!existsSync(paths.dir)) return false;
    // No fsync of containers/ (tens of ms): a power cut that undoes this
    // rename brings the container back as it was, since journaling
    // filesystems commit the rename before the deletions that follow it.
    renameSync(paths.dir, doomed);
    return true;
  });
  if (!moved) throw new NotFoundError(`container ${id.slice(0, 12)} does not exist`);
  if (await removedAsCaller(doomed)) return;
  const { removeTree } = await import('../storage/userns.js');
  await removeTree(store.plan, doomed);
}

// A container that wrote nothing, or wrote only as its root (the caller's own
// uid), leaves no file that only a subordinate id may delete: its directory
// goes without the user namespace (a runtime, newuidmap, newgidmap and rm cost
// ~20 ms). A mount point below (which `rm --one-file-system` never enters
// either) or a file the caller cannot remove leaves the rest to the namespace.
async function removedAsCaller(dir: string): Promise<boolean> {
  // Loaded here: `hutch run --rm` leaves its removal to hutch-runtime.
  const { mountPointsBelow } = await import('../host/mount-points.js');
  if (mountPointsBelow(dir).length > 0) return false;
  try {
    rmSync(dir, { recursive: true, force: true });
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return false;
    throw fromNodeError(err, dir);
  }
}

/**
 * Drops what is left of a `run --rm` container once hutch-runtime's
 * --remove-on-exit deleted its directory: normally nothing. An empty
 * directory goes with rmdir under the store lock; anything more (the runtime
 * failed before the container ran, or could not remove everything) takes the
 * full removal, since subordinate ids may own it.
 */
export async function forgetContainer(store: Store, id: string): Promise<void> {
  const { dir } = containerPaths(store.root, id);
  // IDs are random and never reused, so a missing directory needs no lock.
  if (!existsSync(dir)) return;
  const left = await store.withStoreLock(() => {
    try {
      rmdirSync(dir);
      return false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return true;
      throw fromNodeError(err, dir);
    }
  });
  if (!left) return;
  try {
    await removeContainerFiles(store, id);
  } catch (err) {
    // Removed by a concurrent `hutch rm` in the meantime.
    if (!(err instanceof NotFoundError)) throw err;
  }
}
