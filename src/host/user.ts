// Who is running hutch. The login name comes from the passwd database
// (getpwuid, through the addon), not from $USER, which su/sudo may leave stale.
import { loadNative } from '../native/index.js';

/** The invoking user. */
export interface UserReport {
  /** Login name, or null when the uid has no passwd entry (e.g. in some containers). */
  name: string | null;
  uid: number;
  gid: number;
  /** True unless running as uid 0. */
  rootless: boolean;
}

/**
 * The login name of this process's uid, or null when the uid has no passwd
 * entry or the lookup fails (subordinate ranges can still be listed by uid).
 * Not os.userInfo(): node:os costs every `hutch run` about a millisecond to load.
 */
export function loginName(): string | null {
  try {
    return loadNative().passwdName(process.getuid!());
  } catch {
    return null;
  }
}

/** Identifies the current user. */
export function currentUser(): UserReport {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return { name: loginName(), uid, gid, rootless: uid !== 0 };
}
