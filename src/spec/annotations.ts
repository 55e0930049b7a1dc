// The annotations through which hutch tells its native runtime how to build a
// container's root (the contract is in docs/run.md). A module of its own so
// that readers of a stored config (cp, exec, inspect) need not load the spec generator.

/** run.hutch.overlay.* and run.hutch.rootfs.* annotation names. */
export const ROOTFS_ANNOTATIONS = {
  /** Overlay lower dirs, colon-separated, TOP layer FIRST (overlayfs lowerdir= order). */
  lowerDirs: 'run.hutch.overlay.lowerdirs',
  /** The container's writable overlay upper dir. */
  upperDir: 'run.hutch.overlay.upperdir',
  /** overlayfs's work dir (same filesystem as upperdir). */
  workDir: 'run.hutch.overlay.workdir',
  /** How the runtime assembles the root: overlay, fuse-overlayfs or copy (root.path holds the copy). */
  rootfsMode: 'run.hutch.rootfs.mode',
  /** The fuse-overlayfs executable (mode fuse-overlayfs). */
  mountProgram: 'run.hutch.rootfs.mount-program',
} as const;
