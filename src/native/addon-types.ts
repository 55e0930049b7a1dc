// The typed surface of the native addon (build/Release/hutch.node). This is
// the only description of what C++ exposes to TypeScript; the loader in
// ./index.ts returns an object of this type. Failures throw SystemError
// (syscall, errno, path) created through the factory installed by the loader.

/** Result of a probe that forks a short-lived child to try something. */
export interface ProbeResult {
  ok: boolean;
  /** The failing syscall and its object, e.g. "unshare CLONE_NEWUSER" or "mount overlay". */
  syscall?: string;
  errno?: number;
  /** errno name, e.g. "EPERM". */
  code?: string;
  /** Extra explanation when errno alone does not say it (the dlerror() text, a child killed by a signal). */
  detail?: string;
}

/** Options for the xattr functions. */
export interface XattrOptions {
  /** Operate on a symlink itself (l*xattr) rather than its target. */
  noFollow?: boolean;
}

/** Options for createZstdDecompressor. */
export interface ZstdDecompressorOptions {
  /** Largest accepted window as a power of two (10..31, default 27 = 128 MiB); larger frames throw EFBIG. */
  windowLogMax?: number;
}

/**
 * Streaming zstd decompressor backed by the system libzstd (dlopen'ed).
 * Data errors throw SystemError with syscall "zstd decompress" and code EBADMSG
 * (corrupt or truncated input) or EFBIG (window above windowLogMax).
 */
export interface ZstdDecompressor {
  /**
   * Queues compressed bytes and returns decompressed output, at most about
   * 1 MiB per call so memory stays bounded whatever the compression ratio.
   * While the result is non-empty more may be pending: call push with an
   * empty Buffer until it returns an empty array. Concatenated frames are fine.
   */
  push(chunk: Buffer): Buffer[];
  /** Declares the end of input; throws EBADMSG if input was empty, not fully drained, or ended inside a frame. */
  end(): void;
}

/** Options for spawnProcess. */
export interface SpawnProcessOptions {
  /** The child's fd 0 is /dev/null instead of ours. */
  nullStdin?: boolean;
  /** The child starts a session of its own (setsid). */
  newSession?: boolean;
}

export interface NativeAddon {
  /**
   * Installs the constructor used for every error thrown by the addon (JS owns error classes).
   * `description` is strerror(errno), or a more precise text (zstd's error, a dlerror()).
   */
  setErrorFactory(
    make: (syscall: string, errno: number, code: string, path: string | undefined, description: string) => Error,
  ): void;

  // Host probes (each forks a child that only makes async-signal-safe calls, and reaps it).
  /** Can this process create a user namespace? */
  probeUserNamespace(): ProbeResult;
  /** Can overlayfs (with userxattr) be mounted inside a fresh user+mount namespace, using these scratch dirs? */
  probeOverlayInUserNamespace(lower: string, upper: string, work: string, merged: string): ProbeResult;
  /** Can a FUSE filesystem (what fuse-overlayfs serves) be mounted inside a fresh user+mount namespace at `merged`? */
  probeFuseInUserNamespace(merged: string): ProbeResult;
  /** Is libseccomp.so.2 loadable and can a seccomp filter be installed? */
  probeSeccomp(): ProbeResult & { libseccompVersion?: string };

  // Extended attributes.
  /** The attribute's value, or null when it is not set (ENODATA). */
  getxattr(path: string, name: string, options?: XattrOptions): Buffer | null;
  /** Creates or replaces the attribute. */
  setxattr(path: string, name: string, value: Buffer, options?: XattrOptions): void;
  /** Names of all attributes the caller may see. */
  listxattr(path: string, options?: XattrOptions): string[];
  /** Removes the attribute; throws ENODATA when it is not set. */
  removexattr(path: string, name: string, options?: XattrOptions): void;

  // Locks.
  /** flock(2) on an open fd; returns false when nonBlocking and the lock is held elsewhere. Errors name `fd N`. */
  flock(fd: number, operation: 'shared' | 'exclusive' | 'unlock', nonBlocking?: boolean): boolean;
  /**
   * Blocking flock off the main thread, so the event loop keeps running; the pending
   * promise keeps the process alive, and process.exit() still works while it waits.
   * Do not close `fd` while the promise is pending.
   */
  flockAsync(fd: number, operation: 'shared' | 'exclusive'): Promise<void>;

  // Compression.
  /** Whether libzstd.so.1 could be loaded. */
  zstdAvailable(): boolean;
  /** Throws SystemError (syscall "dlopen libzstd.so.1", ENOENT) when the library is missing. */
  createZstdDecompressor(options?: ZstdDecompressorOptions): ZstdDecompressor;

  // Child processes.
  /**
   * Starts `file` with `argv` (argv[0] included), our environment and our fds
   * that are not close-on-exec, every signal reset to its default action and
   * unblocked; returns its pid. A thread waits for it; `onExit` runs on the
   * main thread with its exit code or the number of the signal that ended it,
   * in the same call that reaps it, so until then its pid is safe to signal.
   * Throws SystemError (syscall "posix_spawn", path `file`) when it cannot start.
   */
  spawnProcess(
    file: string,
    argv: readonly string[],
    options: SpawnProcessOptions,
    onExit: (err: Error | null, code: number | null, signal: number | null) => void,
  ): number;

  // Users.
  /** The login name of `uid` in the passwd database (getpwuid_r: NSS sources count), or null when none has it. */
  passwdName(uid: number): string | null;

  // Sealed executables (CVE-2019-5736 defence).
  /**
   * Copies the executable at `path` into a sealed memfd (F_SEAL_SEAL|SHRINK|GROW|WRITE)
   * and returns its fd (close-on-exec). Spawning `/proc/self/fd/<fd>` runs that copy.
   * Cached per path for the life of the process: the fd belongs to the addon, never close it.
   */
  sealedExecutable(path: string): number;
}
