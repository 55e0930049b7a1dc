// The content-addressed image store (layout and invariants: docs/storage.md).
// Everything becomes visible by one rename of a complete, fsynced object;
// staging happens in a per-process directory under tmp/ whose flock is held
// for the life of the process, so leftovers of a dead process are recognised
// and swept while a live one's are left alone.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { HutchError, InvalidContentError, NotFoundError, fromNodeError } from '../errors.js';
import { digestToPathComponent, digestToRelativePath, verifyBytes } from '../image/digest.js';
import { log } from '../log.js';
import { randomHex } from '../random.js';
import { extractLayer } from './apply-client.js';
import type { ApplyLimits } from './apply-job.js';
import { fsyncDir, writeFileAtomic } from './atomic-file.js';
import { lockFile, tryLockFile, type FileLock } from './file-lock.js';
import { planIdMapping, removeTree, type IdMappingPlan } from './userns.js';

/** layers/<hex>/layer.json: written into the staging dir, published with it by one rename. */
export interface LayerRecord {
  chainId: string;
  diffId: string;
  /** Digest of the compressed blob it was applied from. */
  digest: string;
  mediaType: string;
  /** Compressed size. */
  size: number;
  /** Uncompressed tar size. */
  uncompressedSize: number;
  /** Disk space of diff/. */
  diskSize: number;
  entries: number;
  created: string;
}

/** images/<config-hex>.json. Names are kept in names.json (the single source of truth) and merged in on read. */
export interface ImageRecord {
  /** The config digest: the image ID. */
  id: string;
  manifestDigest: string;
  configDigest: string;
  /** Chain IDs, bottom layer first. */
  layers: string[];
  names: string[];
  created: string;
  platform: { os: string; architecture: string; variant?: string };
  /** Sum of the uncompressed layer sizes. */
  size: number;
}

/** What Store.applyLayer needs; `source` may be a factory so nothing is downloaded when the layer already exists. */
export interface ApplyLayerRequest {
  chainId: string;
  /** The config's rootfs.diff_ids entry this layer must hash to. */
  diffIdExpected: string;
  /** Compressed blob digest (verified by the caller's stream). */
  digest: string;
  mediaType: string;
  compressedSize: number;
  source: Readable | (() => Readable | Promise<Readable>);
  /** Chain IDs of the layers below, topmost first; all must be stored (or, with `lowersReady`, be once it resolves). */
  lowerChainIds: string[];
  /**
   * Resolves when every lower layer is stored, rejects when one will not be.
   * The layer is then extracted at once, in parallel with the layers below;
   * it waits only where it must look below, and is committed after them.
   */
  lowersReady?: Promise<void>;
  signal?: AbortSignal;
  limits?: Partial<ApplyLimits>;
}

/** Outcome of applyLayer. */
export interface ApplyLayerOutcome {
  status: 'applied' | 'exists';
  record: LayerRecord;
  warnings: string[];
}

/** Space used by the store. */
export interface StoreUsage {
  layers: { count: number; bytes: number };
  blobs: { count: number; bytes: number };
  images: number;
}

/** Keeps layers from garbage collection while a pull assembles an image from them. */
export interface LayerHold {
  release(): void;
}

const PROC_PREFIX = 'proc-';

/** Opens (creating if needed) the store at `root`, sweeping leftovers of dead processes. */
export async function openStore(root: string, options: { plan?: IdMappingPlan } = {}): Promise<Store> {
  for (const dir of [root, join(root, 'blobs', 'sha256'), join(root, 'layers'), join(root, 'images'), join(root, 'tmp')]) {
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw fromNodeError(err, dir);
    }
  }
  const plan = options.plan ?? (await planIdMapping());
  // The staging dir is created and locked under store.lock, so a concurrent sweep never sees it unlocked.
  const lock = await lockFile(join(root, 'store.lock'));
  try {
    const procDir = join(root, 'tmp', `${PROC_PREFIX}${process.pid}-${randomHex(4)}`);
    mkdirSync(procDir, { mode: 0o700 });
    const procLock = tryLockFile(join(procDir, 'lock'));
    if (!procLock) throw new HutchError('EINTERNAL', `cannot lock the fresh staging dir \`${procDir}\``);
    const store = new Store(root, plan, procDir, procLock);
    await store.sweepTmp();
    return store;
  } finally {
    lock.release();
  }
}

/** A store opened by openStore. */
export class Store {
  private readonly holds = new Map<number, string[]>();
  private nextHold = 0;

  constructor(
    /** The storage root. */
    readonly root: string,
    /** How layer files are owned (user namespace maps, or direct as root). */
    readonly plan: IdMappingPlan,
    private readonly procDir: string,
    private readonly procLock: FileLock,
  ) {}

  /** Where hutch-runtime keeps compiled seccomp programs (it creates the directory, mode 0700). */
  get seccompCacheDir(): string {
    return join(this.root, 'seccomp-cache');
  }

  /**
   * Empties the seccomp program cache, returning how many programs it held.
   * Each build of hutch-runtime and each profile leaves its own programs there;
   * the next container start compiles what it needs again.
   */
  clearSeccompCache(): number {
    let names: string[];
    try {
      names = readdirSync(this.seccompCacheDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw fromNodeError(err, this.seccompCacheDir);
    }
    for (const name of names) rmSync(join(this.seccompCacheDir, name), { force: true });
    return names.filter((name) => name.endsWith('.bpf')).length;
  }

  /** This process's private staging directory (never swept while the process lives). */
  get stagingDir(): string {
    return this.procDir;
  }

  /** Releases this process's locks and removes its staging dir. */
  async close(): Promise<void> {
    // Usually only the lock file is left (what was staged has been renamed
    // into place): two unlinks cost less than a recursive removal.
    try {
      unlinkSync(this.procLock.path);
      rmdirSync(this.procDir);
    } catch {
      await this.removeStaged(this.procDir);
    }
    this.procLock.release();
  }

  /** Runs `fn` holding store.lock exclusively (metadata changes: images, names, removal, sweeping). */
  async withStoreLock<T>(fn: () => T | Promise<T>): Promise<T> {
    const lock = await lockFile(join(this.root, 'store.lock'));
    try {
      return await fn();
    } finally {
      lock.release();
    }
  }

  // Blobs (manifests and configs).

  /** Path of a stored blob; the digest is validated before it becomes a path. */
  blobPath(digest: string): string {
    return join(this.root, 'blobs', digestToRelativePath(digest));
  }

  /** Stores raw bytes under their digest after verifying them. */
  putBlob(digest: string, data: Uint8Array): void {
    const path = this.blobPath(digest);
    verifyBytes(data, { digest, what: `blob ${digest}` });
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    writeFileAtomic(path, data, this.procDir);
  }

  /**
   * The bytes of a stored blob, re-verified, or null when absent: for a pull
   * that reuses a blob in place of the registry's (a damaged store must not
   * pass wrong content into a new image).
   */
  getBlob(digest: string): Buffer | null {
    const data = this.readStoredBlob(digest);
    if (data) verifyBytes(data, { digest, what: `stored blob ${digest} (${this.blobPath(digest)})` });
    return data;
  }

  /**
   * The bytes of a stored blob as they are, or null when absent: for reading
   * back an image of this store (run, create, inspect). Blobs were verified
   * when they entered it (putBlob) and layers are not re-hashed either, as in
   * containers/storage; hashing here would load node:crypto, about 4 ms of
   * every `hutch run` on Node 20.
   */
  readStoredBlob(digest: string): Buffer | null {
    const path = this.blobPath(digest);
    try {
      return readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fromNodeError(err, path);
    }
  }

  /** Whether a blob is stored. */
  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  // Layers.

  private layerDir(chainId: string): string {
    return join(this.root, 'layers', digestToPathComponent(chainId));
  }

  /** The overlay lowerdir of a stored layer. */
  layerDiffPath(chainId: string): string {
    return join(this.layerDir(chainId), 'diff');
  }

  /** Whether a layer is stored completely (its layer.json exists). */
  hasLayer(chainId: string): boolean {
    return existsSync(join(this.layerDir(chainId), 'layer.json'));
  }

  /** The record of a stored layer, or null. */
  getLayer(chainId: string): LayerRecord | null {
    return readJson<LayerRecord>(join(this.layerDir(chainId), 'layer.json'));
  }

  /** Chain IDs of all complete layers. */
  listLayers(): string[] {
    return readdirSync(join(this.root, 'layers'))
      .filter((name) => /^[a-f0-9]{64}$/.test(name) && existsSync(join(this.root, 'layers', name, 'layer.json')))
      .map((hex) => `sha256:${hex}`);
  }

  /**
   * Publishes a staged layer: `stagedDir` holds diff/; layer.json is written
   * into it and fsynced, then one rename makes the complete layer visible.
   * Call with the layer's lock held.
   */
  async commitLayer(chainId: string, stagedDir: string, meta: LayerRecord): Promise<void> {
    const dir = this.layerDir(chainId);
    writeFileAtomic(join(stagedDir, 'layer.json'), `${JSON.stringify(meta, null, 2)}\n`);
    fsyncDir(stagedDir);
    if (existsSync(dir)) await removeTree(this.plan, dir);
    renameSync(stagedDir, dir);
    fsyncDir(join(this.root, 'layers'));
  }

  /**
   * Extracts a layer into the store unless it is already there. Concurrent
   * callers (any process) for one chain ID serialise on layers/<hex>.lock; the
   * later ones find it complete and do not download it again.
   */
  async applyLayer(request: ApplyLayerRequest): Promise<ApplyLayerOutcome> {
    const lock = await lockFile(`${this.layerDir(request.chainId)}.lock`);
    try {
      const existing = this.getLayer(request.chainId);
      if (existing) {
        if (typeof request.source !== 'function') request.source.destroy();
        return { status: 'exists', record: existing, warnings: [] };
      }
      const requireLowers = () =>
        request.lowerChainIds.map((id) => {
          if (!this.hasLayer(id)) throw new NotFoundError(`layer ${id} (below ${request.chainId}) is not stored`, { hint: 'apply layers bottom-up' });
          return this.layerDiffPath(id);
        });
      const lowers = request.lowersReady ? request.lowerChainIds.map((id) => this.layerDiffPath(id)) : requireLowers();
      const staged = join(this.procDir, `layer-${digestToPathComponent(request.chainId)}`);
      mkdirSync(join(staged, 'diff'), { recursive: true, mode: 0o700 });
      let source = typeof request.source === 'function' ? undefined : request.source;
      try {
        source ??= await (request.source as () => Readable | Promise<Readable>)();
        const result = await extractLayer(
          this.plan,
          {
            target: join(staged, 'diff'),
            lowers,
            layerDigest: request.digest,
            mediaType: request.mediaType,
            compressedSize: request.compressedSize,
            ignoreChownErrors: this.plan.mode === 'userns' && this.plan.singleId,
            limits: request.limits,
          },
          source,
          request.signal,
          request.lowersReady,
        );
        if (result.diffId !== request.diffIdExpected) {
          throw new InvalidContentError(`layer ${request.digest}: uncompressed content hashes to ${result.diffId}, but the image config's diff_id is ${request.diffIdExpected}`, {
            hint: 'the image config does not match its layers; the image is malformed or was tampered with',
          });
        }
        const record: LayerRecord = {
          chainId: request.chainId,
          diffId: result.diffId,
          digest: request.digest,
          mediaType: request.mediaType,
          size: request.compressedSize,
          uncompressedSize: result.bytes,
          diskSize: result.diskBytes,
          entries: result.entries,
          created: new Date().toISOString(),
        };
        if (request.lowersReady) {
          // Commit strictly bottom-up: a layer is never visible before the layers below it.
          await request.lowersReady;
          requireLowers();
        }
        await this.commitLayer(request.chainId, staged, record);
        return { status: 'applied', record, warnings: result.warnings };
      } catch (err) {
        source?.destroy();
        await this.removeStaged(staged);
        throw err;
      }
    } finally {
      lock.release();
    }
  }

  /** Protects `chainIds` from removal until release(), even while no image references them yet. */
  holdLayers(chainIds: readonly string[]): LayerHold {
    const id = this.nextHold++;
    this.holds.set(id, [...chainIds]);
    this.writeHolds();
    return {
      release: () => {
        if (this.holds.delete(id)) this.writeHolds();
      },
    };
  }

  private writeHolds(): void {
    const all = [...new Set([...this.holds.values()].flat())];
    writeFileAtomic(join(this.procDir, 'holds.json'), JSON.stringify(all));
  }

  // Images.

  private imagePath(id: string): string {
    return join(this.root, 'images', `${digestToPathComponent(id)}.json`);
  }

  private namesPath(): string {
    return join(this.root, 'names.json');
  }

  private readNames(): Record<string, string> {
    return readJson<Record<string, string>>(this.namesPath()) ?? {};
  }

  private namesOf(id: string, names = this.readNames()): string[] {
    return Object.keys(names).filter((name) => names[name] === id).sort();
  }

  /** The image with this ID, names included, or null. */
  getImage(id: string): ImageRecord | null {
    const record = readJson<ImageRecord>(this.imagePath(id));
    return record ? { ...record, names: this.namesOf(record.id) } : null;
  }

  /** All images, names included. */
  listImages(): ImageRecord[] {
    const names = this.readNames();
    return readdirSync(join(this.root, 'images'))
      .filter((file) => /^[a-f0-9]{64}\.json$/.test(file))
      .map((file) => readJson<ImageRecord>(join(this.root, 'images', file)))
      .filter((record): record is ImageRecord => record !== null)
      .map((record) => ({ ...record, names: this.namesOf(record.id, names) }));
  }

  /** The image ID a full name (`docker.io/library/debian:12`) points to, or null. */
  resolveName(name: string): string | null {
    return this.readNames()[name] ?? null;
  }

  /**
   * Records an image whose blobs and layers are all stored, then points
   * `record.names` at it (a name moves off any image that had it, like podman).
   */
  async putImage(record: ImageRecord): Promise<void> {
    await this.withStoreLock(() => {
      for (const chainId of record.layers) {
        if (!this.hasLayer(chainId)) throw new NotFoundError(`layer ${chainId} of image ${record.id} is not stored`);
      }
      for (const digest of [record.manifestDigest, record.configDigest]) {
        if (!this.hasBlob(digest)) throw new NotFoundError(`blob ${digest} of image ${record.id} is not stored`);
      }
      writeFileAtomic(this.imagePath(record.id), `${JSON.stringify({ ...record, names: [] }, null, 2)}\n`, this.procDir);
      this.updateNames((names) => {
        for (const name of record.names) names[name] = record.id;
      });
    });
  }

  /** Adds a name to a stored image. */
  async tagImage(id: string, name: string): Promise<void> {
    await this.withStoreLock(() => {
      if (!existsSync(this.imagePath(id))) throw new NotFoundError(`image ${id} not found`);
      this.updateNames((names) => {
        names[name] = id;
      });
    });
  }

  /** Removes a name; returns the ID it pointed to. */
  async untagImage(name: string): Promise<string> {
    return this.withStoreLock(() => {
      const id = this.resolveName(name);
      if (!id) throw new NotFoundError(`image name ${name} not found`);
      this.updateNames((names) => {
        delete names[name];
      });
      return id;
    });
  }

  private updateNames(change: (names: Record<string, string>) => void): void {
    const names = this.readNames();
    change(names);
    writeFileAtomic(this.namesPath(), `${JSON.stringify(names, null, 2)}\n`, this.procDir);
  }

  /**
   * Deletes an image record and its names, then every layer no image or
   * running pull still uses. The record goes first: a crash afterwards leaves
   * only unreferenced layers, which prune removes.
   */
  async removeImage(id: string): Promise<{ removedLayers: string[] }> {
    return this.withStoreLock(async () => {
      const path = this.imagePath(id);
      if (!existsSync(path)) throw new NotFoundError(`image ${id} not found`);
      this.updateNames((names) => {
        for (const name of Object.keys(names)) if (names[name] === id) delete names[name];
      });
      rmSync(path);
      fsyncDir(join(this.root, 'images'));
      return { removedLayers: await this.collectLayers() };
    });
  }

  /** Removes unreferenced layers and stale staging leftovers. */
  async prune(): Promise<{ removedLayers: string[] }> {
    return this.withStoreLock(async () => {
      await this.sweepTmp();
      return { removedLayers: await this.collectLayers() };
    });
  }

  /** Space used by layers (disk blocks, recorded at extraction) and blobs. */
  usage(): StoreUsage {
    const layers = this.listLayers().map((id) => this.getLayer(id)?.diskSize ?? 0);
    const blobDir = join(this.root, 'blobs', 'sha256');
    const blobs = readdirSync(blobDir).map((name) => lstatSync(join(blobDir, name)).blocks * 512);
    return {
      layers: { count: layers.length, bytes: layers.reduce((a, b) => a + b, 0) },
      blobs: { count: blobs.length, bytes: blobs.reduce((a, b) => a + b, 0) },
      images: this.listImages().length,
    };
  }

  // Garbage collection. Both run under store.lock.

  private referencedLayers(): Set<string> {
    const used = new Set<string>();
    for (const image of this.listImages()) for (const id of image.layers) used.add(id);
    const tmp = join(this.root, 'tmp');
    for (const name of readdirSync(tmp)) {
      if (!name.startsWith(PROC_PREFIX)) continue;
      for (const id of readJson<string[]>(join(tmp, name, 'holds.json')) ?? []) used.add(id);
    }
    return used;
  }

  private async collectLayers(): Promise<string[]> {
    const used = this.referencedLayers();
    const removed: string[] = [];
    for (const name of readdirSync(join(this.root, 'layers'))) {
      if (!/^[a-f0-9]{64}$/.test(name) || used.has(`sha256:${name}`)) continue;
      const dir = join(this.root, 'layers', name);
      // A layer being applied right now holds its lock: leave it.
      const lock = tryLockFile(`${dir}.lock`);
      if (!lock) continue;
      try {
        // Move it out of layers/ first, so a crash mid-removal leaves no half layer that looks complete.
        const doomed = join(this.procDir, `gc-${name}`);
        renameSync(dir, doomed);
        fsyncDir(join(this.root, 'layers'));
        // The lock file stays: unlinking it would let a waiter and a newcomer lock two different inodes.
        await removeTree(this.plan, doomed);
        removed.push(`sha256:${name}`);
      } finally {
        lock.release();
      }
    }
    return removed;
  }

  /** Removes tmp/ entries of processes that are gone (their staging lock is free) and anything unrecognised. */
  async sweepTmp(): Promise<void> {
    const tmp = join(this.root, 'tmp');
    for (const name of readdirSync(tmp)) {
      const path = join(tmp, name);
      if (path === this.procDir) continue;
      if (name.startsWith(PROC_PREFIX)) {
        let lock: FileLock | null;
        try {
          // Never created here: a process closing its store deletes the lock file before its
          // directory (without store.lock), and a lock file made in between would make that rmdir fail.
          lock = tryLockFile(join(path, 'lock'), { create: false });
        } catch (err) {
          // That process is removing it, or already has.
          if ((err as HutchError).code === 'ENOENT') continue;
          throw err;
        }
        if (!lock) continue;
        lock.release();
      }
      log.debug(`removing leftover \`${path}\``);
      await this.removeStaged(path);
    }
  }

  /** Removes a staging path; subordinate-owned files need the user namespace. */
  private async removeStaged(path: string): Promise<void> {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EPERM') throw fromNodeError(err, path);
      await removeTree(this.plan, path);
    }
  }
}

function readJson<T>(path: string): T | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromNodeError(err, path);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new HutchError('ESTORECORRUPT', `\`${path}\` is not valid JSON: ${(err as Error).message}`, {
      cause: err,
      hint: 'the store is damaged; remove that file (and run `hutch system prune`)',
    });
  }
}
