// newuidmap/newgidmap (shadow's uidmap tools): they write a user
// namespace's uid_map/gid_map with the subordinate ranges, which only works
// when they run privileged — setuid root (Debian, Arch) or with the
// cap_setuid/cap_setgid file capability (Fedora).
import { stat } from 'node:fs/promises';
import { log } from '../log.js';
import { decodeFileCapabilities } from './file-capabilities.js';
import { findExecutable } from './which.js';

/** What hutch knows about one id-mapping helper. */
export interface IdToolReport {
  /** Absolute path, or null when not installed. */
  path: string | null;
  /** Owned by root with the setuid bit. */
  setuidRoot: boolean;
  /** File capabilities (`cap_setuid+ep` style list), or null when there are none or they could not be read. */
  capabilities: string[] | null;
  /** Whether the tool can map the subordinate ranges (privileged by setuid or by an effective capability). */
  privileged: boolean;
}

/** Reads an xattr or returns null when it is absent (the addon's getxattr). */
export type GetXattr = (path: string, name: string) => Buffer | null;

const S_ISUID = 0o4000;

/** Inspects newuidmap (needs cap_setuid) or newgidmap (needs cap_setgid). */
export async function inspectIdTool(
  name: 'newuidmap' | 'newgidmap',
  getxattr: GetXattr | null,
  env: NodeJS.ProcessEnv = process.env,
): Promise<IdToolReport> {
  const path = await findExecutable(name, env);
  if (!path) return { path: null, setuidRoot: false, capabilities: null, privileged: false };
  const st = await stat(path);
  const setuidRoot = st.uid === 0 && (st.mode & S_ISUID) !== 0;
  let capabilities: string[] | null = null;
  let capPrivileged = false;
  if (getxattr) {
    try {
      const raw = getxattr(path, 'security.capability');
      const caps = raw ? decodeFileCapabilities(raw) : null;
      if (caps) {
        capabilities = caps.permitted.map((c) => `${c}${caps.effective ? '+ep' : '+p'}`);
        const needed = name === 'newuidmap' ? 'cap_setuid' : 'cap_setgid';
        // shadow's tools are not capability-aware, so the effective flag must be set;
        // a namespaced (v3) capability only applies inside that namespace, never on the host.
        capPrivileged = caps.effective && caps.permitted.includes(needed) && (caps.rootUid ?? 0) === 0;
      }
    } catch (err) {
      log.debug(`getxattr ${path} security.capability: ${(err as Error).message}`);
    }
  }
  return { path, setuidRoot, capabilities, privileged: setuidRoot || capPrivileged };
}
