// Applies one uncompressed layer tar to an empty diff dir in overlayfs
// format, confined to that dir. node-tar is used only to parse; every entry
// is created here with calls that never follow a symlink. Runs as uid 0 inside
// the user namespace (so ownership lands on the mapped ids), or as real root.
import {
  chmodSync,
  constants,
  copyFileSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  closeSync,
  linkSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { HostError, HutchError, InterruptedError, InvalidContentError, SystemError } from '../errors.js';
import { log } from '../log.js';
import type { NativeAddon } from '../native/addon-types.js';
import { loadNative } from '../native/index.js';
import { BadEntryName, MAX_NAME_BYTES, classifyWhiteout, splitEntryName } from './entry-name.js';
import { isWhiteout, lookupInLowers } from './lower-lookup.js';
import { makeFifo, makeWhiteout } from './special-files.js';
import { BadTar, TarXattrTracker } from './tar-xattrs.js';
import { isForbiddenXattr } from './xattr-policy.js';

/** Caps against decompression bombs and absurd archives. */
export interface ApplyLimits {
  /** Most uncompressed tar bytes accepted. */
  maxBytes: number;
  /** Most uncompressed bytes per compressed byte... */
  maxRatio: number;
  /** ...enforced only past this many bytes, so small, highly compressible layers (sparse files, zeros) pass. */
  ratioFloor: number;
  /** Most tar entries accepted. */
  maxEntries: number;
}

/** Default caps: 64 GiB, 1:200 past 256 MiB, one million entries. */
export const DEFAULT_APPLY_LIMITS: ApplyLimits = {
  maxBytes: 64 * 1024 ** 3,
  maxRatio: 200,
  ratioFloor: 256 * 1024 ** 2,
  maxEntries: 1_000_000,
};

/** What to apply and where. */
export interface ApplyLayerOptions {
  /** The uncompressed tar stream. */
  source: AsyncIterable<Buffer> | Readable;
  /** The layer's diff dir: exists, empty, created by the caller. */
  target: string;
  /** Diff dirs of the layers below, topmost first (for hardlinks into lower layers). */
  lowers: readonly string[];
  /**
   * Blocks until `lowers` are complete. Given when this layer is extracted
   * while the layers below are still being applied: only an entry that must
   * look below (a hardlink to a path this layer lacks, an implicit directory)
   * waits, so independent layers extract in parallel.
   */
  awaitLowers?: () => void;
  /** The layer's digest, named in every error. */
  layerDigest: string;
  /** Size of the compressed blob, for the ratio cap; omitted for uncompressed layers. */
  compressedSize?: number;
  limits?: Partial<ApplyLimits>;
  /** Single-id mode: every id maps to the user, so chown to any other id fails and is ignored. */
  ignoreChownErrors?: boolean;
  signal?: AbortSignal;
}

/** What was applied. */
export interface ApplyResult {
  /** Tar entries processed. */
  entries: number;
  /** Uncompressed tar bytes read. */
  bytes: number;
  /** User-facing warnings (e.g. device nodes skipped), at most one per kind. */
  warnings: string[];
}

const OPAQUE_XATTR = 'user.overlay.opaque';
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const FILE_OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Applies an uncompressed layer tar to `target` (see ApplyLayerOptions). */
export async function applyLayerTar(options: ApplyLayerOptions): Promise<ApplyResult> {
  return new LayerApplier(options, loadNative()).run();
}

class EntryError extends Error {}

class LayerApplier {
  private readonly limits: ApplyLimits;
  private readonly tracker = new TarXattrTracker();
  /** Relative paths known to be real directories of this layer ('' is the root). */
  private readonly knownDirs = new Set<string>(['']);
  /** Directory mtimes, applied after everything else so later entries do not bump them. */
  private readonly dirTimes = new Map<string, Date>();
  private readonly warnings: string[] = [];
  private readonly xattrWarnings = new Set<string>();
  private entries = 0;
  private bytes = 0;
  private devices = 0;
  private currentPath = '';
  private failure: Error | undefined;
  private lowersReady = false;
  private reject: (err: Error) => void = () => undefined;

  constructor(
    private readonly opts: ApplyLayerOptions,
    private readonly native: NativeAddon,
  ) {
    this.limits = { ...DEFAULT_APPLY_LIMITS, ...opts.limits };
  }

  async run(): Promise<ApplyResult> {
    const root = lstatSync(this.opts.target);
    if (!root.isDirectory()) throw new HostError('EUNSAFEDIR', `layer target \`${this.opts.target}\` is not a directory (a symlink?)`);
    const parser = new Parser({ zstd: false });
    const finished = new Promise<void>((resolve, reject) => {
      this.reject = reject;
      parser.on('end', resolve);
    });
    finished.catch(() => undefined);
    parser.on('entry', (entry: ReadEntry) => this.guard(() => this.onEntry(entry), () => entry.resume()));
    parser.on('error', (err: Error) => this.fail(this.invalid(`not a valid tar archive: ${err.message}`, undefined, err)));
    parser.on('warn', (code: string, message: string | Error) => {
      // node-tar calls an archive of nothing but end-of-archive blocks "unrecognized"; Docker's
      // empty layer (gzip of 1024 zero bytes) is exactly that, and is valid.
      if (code === 'TAR_BAD_ARCHIVE' && this.entries === 0 && this.tracker.ended) return;
      const text = message instanceof Error ? message.message : message;
      this.fail(this.invalid(`not a valid tar archive: ${text}`, this.entries > 0 ? this.currentPath : undefined));
    });
    const onAbort = () => {
      this.fail(new InterruptedError(`applying layer ${this.opts.layerDigest} interrupted`));
      if ('destroy' in this.opts.source) this.opts.source.destroy();
    };
    this.opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (this.opts.signal?.aborted) onAbort();
      await this.feed(parser);
      if (!this.failure) parser.end();
      await finished;
      if (this.failure) throw this.failure;
      this.applyDirTimes();
    } finally {
      this.opts.signal?.removeEventListener('abort', onAbort);
    }
    if (this.devices > 0) {
      this.warnings.push(`layer ${this.opts.layerDigest}: skipped ${this.devices} device node${this.devices === 1 ? '' : 's'} (they cannot be created without root; containers get devices from the runtime)`);
    }
    return { entries: this.entries, bytes: this.bytes, warnings: this.warnings };
  }

  private async feed(parser: Parser): Promise<void> {
    let head = Buffer.alloc(0);
    try {
      for await (const raw of this.opts.source) {
        if (this.failure) break;
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as Uint8Array);
        if (head.length < ZSTD_MAGIC.length) {
          head = Buffer.concat([head, chunk]).subarray(0, ZSTD_MAGIC.length);
          this.guard(() => this.checkNotCompressed(head));
        }
        this.bytes += chunk.length;
        this.guard(() => this.checkSize());
        this.guard(() => this.tracker.write(chunk));
        if (this.failure) break;
        if (!parser.write(chunk)) await this.drained(parser);
      }
    } catch (err) {
      // The source failed: a truncated or corrupt compressed stream, a digest mismatch upstream.
      const keep = err instanceof InvalidContentError || err instanceof HostError || err instanceof InterruptedError;
      this.fail(keep ? err : this.invalid(`cannot read the layer data: ${(err as Error).message}`, undefined, err));
    }
  }

  private drained(parser: Parser): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        parser.off('drain', done);
        parser.off('error', done);
        resolve();
      };
      parser.on('drain', done);
      parser.on('error', done);
    });
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.reject(err);
  }

  /** Runs `fn`, turning anything it throws into the applier's failure. */
  private guard(fn: () => void, onSkip?: () => void): void {
    if (this.failure) {
      onSkip?.();
      return;
    }
    try {
      fn();
    } catch (err) {
      this.fail(this.wrap(err));
      onSkip?.();
    }
  }

  private wrap(err: unknown): Error {
    if (err instanceof SystemError && !err.message.startsWith('layer ')) {
      return new SystemError(err.syscall, err.errno, err.code, `layer ${this.opts.layerDigest}: entry \`${this.currentPath}\`: ${err.message}`, err.path, { cause: err });
    }
    if (err instanceof HutchError) return err;
    if (err instanceof BadEntryName || err instanceof EntryError) return this.invalid(err.message, this.currentPath);
    if (err instanceof BadTar) return this.invalid(`not a valid tar archive: ${err.message}`, undefined, err);
    const e = err as NodeJS.ErrnoException;
    if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
      const where = e.path ? ` \`${e.path}\`` : '';
      return new SystemError(e.syscall, e.errno ?? 0, e.code, `layer ${this.opts.layerDigest}: entry \`${this.currentPath}\`: ${e.syscall}${where}: ${e.code}`, e.path, { cause: err });
    }
    return this.invalid(err instanceof Error ? err.message : String(err), this.currentPath, err);
  }

  private invalid(reason: string, entry?: string, cause?: unknown): InvalidContentError {
    const at = entry === undefined ? '' : `: entry \`${entry}\``;
    return new InvalidContentError(`layer ${this.opts.layerDigest}${at}: ${reason}`, {
      cause,
      hint: 'the image is malformed or malicious; it was not stored',
    });
  }

  private checkNotCompressed(head: Buffer): void {
    // node-tar would transparently inflate a gzip (or zstd) stream it is fed, which
    // would bypass the size caps and the diff_id: a layer compressed twice is refused.
    if (head.subarray(0, 2).equals(GZIP_MAGIC) || head.equals(ZSTD_MAGIC)) {
      throw new EntryError('the uncompressed layer data is itself compressed (doubly compressed layer)');
    }
  }

  private checkSize(): void {
    const { maxBytes, maxRatio, ratioFloor } = this.limits;
    if (this.bytes > maxBytes) throw this.invalid(`uncompressed size exceeds the limit of ${maxBytes} bytes`);
    const compressed = this.opts.compressedSize;
    if (compressed !== undefined && compressed > 0 && this.bytes > ratioFloor && this.bytes > compressed * maxRatio) {
      throw this.invalid(`uncompressed size exceeds ${maxRatio} times the compressed size of ${compressed} bytes (decompression bomb?)`);
    }
  }

  private onEntry(entry: ReadEntry): void {
    this.currentPath = entry.path;
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) throw new EntryError(`more than ${this.limits.maxEntries} entries`);
    const record = this.tracker.shift();
    if (!record || record.size !== entry.size) throw new BadTar('inconsistent entry headers');
    const parts = splitEntryName(entry.path);
    const base = parts.at(-1);
    const whiteout = base === undefined ? { kind: 'none' as const } : classifyWhiteout(base);
    if (whiteout.kind !== 'none') {
      entry.resume();
      if (whiteout.kind === 'opaque') this.markOpaque(parts.slice(0, -1));
      else if (whiteout.kind === 'whiteout') this.whiteOut([...parts.slice(0, -1), whiteout.target]);
      return;
    }
    switch (entry.type) {
      case 'Directory':
      case 'GNUDumpDir':
        entry.resume();
        this.directory(parts, entry, record.xattrs);
        return;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        this.file(parts, entry, record.xattrs);
        return;
      case 'SymbolicLink':
        entry.resume();
        this.symlink(parts, entry, record.xattrs);
        return;
      case 'Link':
        entry.resume();
        this.hardlink(parts, entry);
        return;
      case 'FIFO':
        entry.resume();
        this.fifo(parts, entry, record.xattrs);
        return;
      case 'CharacterDevice':
      case 'BlockDevice':
        entry.resume();
        this.devices += 1;
        log.debug(`layer ${this.opts.layerDigest}: skipping device node \`${entry.path}\``);
        return;
      default:
        throw new EntryError(`unsupported entry type ${entry.type}`);
    }
  }

  private abs(parts: readonly string[]): string {
    return join(this.opts.target, ...parts);
  }

  /**
   * Makes every parent of `parts` a real directory of this layer. A parent that
   * is a symlink can only come from this layer (each layer has its own dir),
   * and following it could leave the root: refused, as umoci does.
   */
  private ensureParents(parts: readonly string[]): void {
    this.ensureDirs(parts.slice(0, -1));
  }

  /** Makes `dir` and each of its parents a real directory of this layer. */
  private ensureDirs(dir: readonly string[]): void {
    for (let i = 1; i <= dir.length; i++) {
      const prefix = dir.slice(0, i);
      const rel = prefix.join('/');
      if (this.knownDirs.has(rel)) continue;
      const st = lstatOrNull(this.abs(prefix));
      if (!st) this.createImplicitDir(prefix, false);
      else if (st.isDirectory()) this.knownDirs.add(rel);
      else if (isWhiteout(st)) {
        unlinkSync(this.abs(prefix));
        this.createImplicitDir(prefix, true);
      } else if (st.isSymbolicLink()) throw new EntryError(`parent \`${rel}\` is a symlink in this layer; refusing to follow it`);
      else throw new EntryError(`parent \`${rel}\` is not a directory`);
    }
  }

  /**
   * Creates a directory the tar did not list. In overlayfs the topmost copy of
   * a directory supplies its attributes, so it copies those of the directory
   * the lower layers show (root-owned 0755 when there is none). `opaque`: it
   * replaces this layer's whiteout, so lower contents must stay hidden.
   */
  private createImplicitDir(prefix: readonly string[], opaque: boolean): void {
    const path = this.abs(prefix);
    const lower = lookupInLowers(this.lowers(), prefix, (dir) => this.isOpaque(dir));
    const model = lower.kind === 'found' && lower.stat.isDirectory() ? lower.stat : null;
    mkdirSync(path);
    if (model) {
      this.chown(path, model.uid, model.gid);
      this.dirTimes.set(prefix.join('/'), model.mtime);
    }
    chmodSync(path, model ? model.mode & 0o7777 : 0o755);
    if (opaque) this.setOpaque(path);
    this.knownDirs.add(prefix.join('/'));
  }

  /** The lower diff dirs, once they are complete. */
  private lowers(): readonly string[] {
    if (this.opts.lowers.length > 0 && this.opts.awaitLowers && !this.lowersReady) {
      this.opts.awaitLowers();
      this.lowersReady = true;
    }
    return this.opts.lowers;
  }

  private isOpaque(dir: string): boolean {
    return this.native.getxattr(dir, OPAQUE_XATTR, { noFollow: true })?.toString() === 'y';
  }

  private setOpaque(dir: string): void {
    this.native.setxattr(dir, OPAQUE_XATTR, Buffer.from('y'), { noFollow: true });
  }

  /** Removes whatever this layer has at `parts` (a directory with its contents). */
  private removeExisting(parts: readonly string[]): Stats | null {
    const path = this.abs(parts);
    const st = lstatOrNull(path);
    if (!st) return null;
    if (st.isDirectory()) {
      rmSync(path, { recursive: true, force: true });
      const rel = parts.join('/');
      for (const dir of this.knownDirs) if (dir === rel || dir.startsWith(`${rel}/`)) this.knownDirs.delete(dir);
      for (const dir of this.dirTimes.keys()) if (dir === rel || dir.startsWith(`${rel}/`)) this.dirTimes.delete(dir);
    } else unlinkSync(path);
    return st;
  }

  /** `.wh..wh..opq`: hides every lower child of the directory; this layer's own children stay. */
  private markOpaque(dir: readonly string[]): void {
    this.ensureDirs(dir);
    this.setOpaque(this.abs(dir));
  }

  /**
   * `.wh.<name>`: hides `<name>` of the lower layers. Whiteouts never hide an
   * entry of their own layer: a directory this layer already created becomes
   * opaque instead (lower children hidden, its own kept); a non-directory
   * already hides the lower path by itself.
   */
  private whiteOut(parts: readonly string[]): void {
    this.ensureParents(parts);
    const path = this.abs(parts);
    const st = lstatOrNull(path);
    if (!st) makeWhiteout(path);
    else if (st.isDirectory()) this.setOpaque(path);
  }

  private directory(parts: readonly string[], entry: ReadEntry, xattrs: Map<string, Buffer>): void {
    const path = this.abs(parts);
    if (parts.length > 0) {
      this.ensureParents(parts);
      const st = lstatOrNull(path);
      if (!st?.isDirectory()) {
        if (st) this.removeExisting(parts);
        mkdirSync(path);
        // Replacing this layer's whiteout: the lower directory was deleted, its children must not reappear.
        if (st && isWhiteout(st)) this.setOpaque(path);
      }
      this.knownDirs.add(parts.join('/'));
    }
    this.chown(path, entry.uid, entry.gid);
    this.applyXattrs(path, xattrs, false);
    chmodSync(path, entry.mode ?? 0o755);
    if (entry.mtime) this.dirTimes.set(parts.join('/'), entry.mtime);
  }

  private file(parts: readonly string[], entry: ReadEntry, xattrs: Map<string, Buffer>): void {
    if (parts.length === 0) throw new EntryError('the layer root must be a directory');
    this.ensureParents(parts);
    this.removeExisting(parts);
    const path = this.abs(parts);
    const fd = openSync(path, FILE_OPEN_FLAGS, 0o600);
    let open = true;
    const close = () => {
      if (open) closeSync(fd);
      open = false;
    };
    entry.on('data', (chunk: Buffer) =>
      this.guard(() => {
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
      }, close),
    );
    entry.on('end', () =>
      this.guard(() => {
        // Order matters: chown clears setuid/setgid and security.capability, and a
        // write clears them too, so data, then owner, then xattrs, then mode.
        this.fchown(fd, entry.uid, entry.gid);
        this.applyXattrs(path, xattrs, false);
        fchmodSync(fd, entry.mode ?? 0o644);
        if (entry.mtime) futimesSync(fd, entry.atime ?? entry.mtime, entry.mtime);
        close();
      }, close),
    );
  }

  private symlink(parts: readonly string[], entry: ReadEntry, xattrs: Map<string, Buffer>): void {
    if (parts.length === 0) throw new EntryError('the layer root must be a directory, not a symlink');
    const linkpath = entry.linkpath ?? '';
    if (linkpath.includes('\0') || Buffer.byteLength(linkpath) > MAX_NAME_BYTES) throw new EntryError('invalid symlink target');
    this.ensureParents(parts);
    this.removeExisting(parts);
    const path = this.abs(parts);
    // Kept exactly as written, absolute targets included: they are resolved inside the container's root.
    symlinkSync(linkpath, path);
    this.chown(path, entry.uid, entry.gid);
    this.applyXattrs(path, xattrs, true);
    if (entry.mtime) lutimesSync(path, entry.mtime, entry.mtime);
  }

  private fifo(parts: readonly string[], entry: ReadEntry, xattrs: Map<string, Buffer>): void {
    if (parts.length === 0) throw new EntryError('the layer root must be a directory');
    this.ensureParents(parts);
    this.removeExisting(parts);
    const path = this.abs(parts);
    makeFifo(path);
    this.chown(path, entry.uid, entry.gid);
    this.applyXattrs(path, xattrs, false);
    chmodSync(path, entry.mode ?? 0o644);
    if (entry.mtime) lutimesSync(path, entry.mtime, entry.mtime);
  }

  /**
   * Typeflag 1: `linkname` is relative to the archive root. A target this layer
   * wrote is linked with link(2), which never follows a symlink; a target that
   * only a lower layer has is copied in, because each layer is its own dir.
   */
  private hardlink(parts: readonly string[], entry: ReadEntry): void {
    if (parts.length === 0) throw new EntryError('the layer root must be a directory');
    let targetParts: string[];
    try {
      targetParts = splitEntryName(entry.linkpath ?? '');
    } catch (err) {
      throw new EntryError(`hardlink target \`${entry.linkpath}\`: ${(err as Error).message}`);
    }
    const target = targetParts.join('/');
    if (targetParts.length === 0) throw new EntryError('hardlink to the layer root (a directory)');
    if (target === parts.join('/')) throw new EntryError('hardlink to itself');
    if (target.startsWith(`${parts.join('/')}/`)) throw new EntryError(`hardlink target \`${target}\` lies inside the entry it would replace`);
    // This layer is the topmost layer of the lookup: its whiteouts, opaque directories and
    // non-directories hide the lower layers' paths exactly as the mounted overlay will.
    // A target this layer decides (it has it, or hides it) needs no wait for the layers below.
    const own = lookupInLowers([this.opts.target], targetParts, (dir) => this.isOpaque(dir));
    const found = own.kind !== 'absent' ? own : lookupInLowers([this.opts.target, ...this.lowers()], targetParts, (dir) => this.isOpaque(dir));
    if (found.kind === 'through-symlink') throw new EntryError(`hardlink target \`${target}\` goes through the symlink \`${found.at}\``);
    if (found.kind === 'absent') throw new EntryError(`hardlink target \`${target}\` does not exist in this layer or below`);
    if (found.stat.isDirectory()) throw new EntryError(`hardlink target \`${target}\` is a directory`);
    const inThisLayer = found.path.startsWith(`${this.opts.target}/`);
    this.ensureParents(parts);
    this.removeExisting(parts);
    const path = this.abs(parts);
    if (inThisLayer) linkSync(found.path, path);
    else this.copyFromLower(found.path, found.stat, path);
  }

  /** Copies a lower layer's inode (reflink when the filesystem can), keeping owner, mode, xattrs and mtime. */
  private copyFromLower(from: string, st: Stats, to: string): void {
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else if (st.isFIFO()) makeFifo(to);
    else if (st.isFile()) copyFileSync(from, to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
    else {
      this.devices += 1;
      return;
    }
    this.chown(to, st.uid, st.gid);
    const names = this.native.listxattr(from, { noFollow: true }).filter((name) => !isForbiddenXattr(name));
    for (const name of names) {
      const value = this.native.getxattr(from, name, { noFollow: true });
      if (value) this.setXattr(to, name, value, st.isSymbolicLink());
    }
    if (!st.isSymbolicLink()) chmodSync(to, st.mode & 0o7777);
    lutimesSync(to, st.atime, st.mtime);
  }

  private applyXattrs(path: string, xattrs: Map<string, Buffer>, isSymlink: boolean): void {
    for (const [name, value] of xattrs) {
      if (isForbiddenXattr(name)) {
        log.debug(`layer ${this.opts.layerDigest}: entry \`${this.currentPath}\`: dropping xattr ${name}`);
        continue;
      }
      this.setXattr(path, name, value, isSymlink);
    }
  }

  private setXattr(path: string, name: string, value: Buffer, isSymlink: boolean): void {
    try {
      this.native.setxattr(path, name, value, { noFollow: true });
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Like containers/storage: a filesystem (or a symlink, for user.*) that cannot hold the
      // attribute degrades to a warning; anything else is a real failure.
      if (code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EPERM') throw err;
      const key = `${name}:${code}`;
      if (!this.xattrWarnings.has(key)) {
        this.xattrWarnings.add(key);
        this.warnings.push(`layer ${this.opts.layerDigest}: could not set xattr ${name} on \`${this.currentPath}\`${isSymlink ? ' (a symlink)' : ''}: ${code}`);
      }
    }
  }

  private chown(path: string, uid: number | undefined, gid: number | undefined): void {
    this.ownerChange(uid, gid, () => lchownSync(path, uid ?? 0, gid ?? 0));
  }

  private fchown(fd: number, uid: number | undefined, gid: number | undefined): void {
    this.ownerChange(uid, gid, () => fchownSync(fd, uid ?? 0, gid ?? 0));
  }

  private ownerChange(uid: number | undefined, gid: number | undefined, change: () => void): void {
    try {
      change();
    } catch (err) {
      // EINVAL: the id has no mapping in this user namespace.
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      if (this.opts.ignoreChownErrors) return;
      throw new HostError('EIDMAP', `layer ${this.opts.layerDigest}: entry \`${this.currentPath}\`: uid ${uid ?? 0} / gid ${gid ?? 0} is outside the subordinate id ranges`, {
        cause: err,
        hint: 'give your user a larger range in /etc/subuid and /etc/subgid (65536 ids, as podman expects)',
      });
    }
  }

  private applyDirTimes(): void {
    for (const [rel, mtime] of this.dirTimes) lutimesSync(join(this.opts.target, rel), mtime, mtime);
  }
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
