// Which extended attributes from a layer may reach the disk.

/**
 * Prefixes an image must not set: `trusted.*` is the host's (and privileged
 * overlayfs's) namespace; `user.overlay.*` and `user.fuseoverlayfs.*` would let
 * a layer forge whiteouts, opaque directories or redirects for the overlay
 * that later stacks it; `security.selinux` labels are the host policy's.
 */
const FORBIDDEN_PREFIXES = ['trusted.', 'user.overlay.', 'user.fuseoverlayfs.'];
const FORBIDDEN_NAMES = new Set(['security.selinux']);

/** Whether a layer's xattr must be stripped instead of applied. */
export function isForbiddenXattr(name: string): boolean {
  return FORBIDDEN_NAMES.has(name) || FORBIDDEN_PREFIXES.some((prefix) => name.startsWith(prefix));
}
