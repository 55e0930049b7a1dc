// Who is running hutch. The login name comes from the passwd database
// (getpwuid via os.userInfo), not from $USER, which su/sudo may leave stale.
import { userInfo } from 'node:os';

/** The invoking user. */
export interface UserReport {
  /** Login name, or null when the uid has no passwd entry (e.g. in some containers). */
  name: string | null;
  uid: number;
  gid: number;
  /** True unless running as uid 0. */
  rootless: boolean;
}

/** Identifies the current user. */
export function currentUser(): UserReport {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  let name: string | null;
  try {
    name = userInfo().username;
  } catch {
    name = null;
  }
  return { name, uid, gid, rootless: uid !== 0 };
}
