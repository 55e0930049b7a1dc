// Resolves `-u user[:group]` (or the image's User) against the container's
// own /etc/passwd and /etc/group, with the rules of moby/sys/user
// GetExecUser that podman uses: names or numeric ids, a numeric uid without a
// passwd entry is allowed, supplementary groups only when no group was given.
import { NotFoundError, UsageError } from '../errors.js';
import { readFileInRootfs, type RootfsReadOptions } from './rootfs-file.js';

/** The largest id moby/sys/user accepts (int32 range). */
const MAX_ID = 2 ** 31 - 1;

/** Cap on /etc/passwd and /etc/group read from an image. */
export const USER_FILE_MAX_BYTES = 1024 * 1024;

/** The container process's identity. */
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** Home directory from passwd; "/" when the user has no entry. */
  home: string;
}

/** Contents of the image's /etc/passwd and /etc/group (null when absent). */
export interface UserFiles {
  passwd: string | null;
  group: string | null;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parseId(s: string | undefined): number | null {
  if (s === undefined || !/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n <= MAX_ID ? n : null;
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** Parses passwd(5) text; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const f of lines(text)) {
    const uid = parseId(f[2]);
    const gid = parseId(f[3]);
    if (uid === null || gid === null) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5] ?? '' });
  }
  return out;
}

/** Parses group(5) text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const f of lines(text)) {
    const gid = parseId(f[2]);
    if (gid === null) continue;
    out.push({ name: f[0]!, gid, members: (f[3] ?? '').split(',').filter((m) => m !== '') });
  }
  return out;
}

type Arg = { numeric: true; id: number; text: string } | { numeric: false; name: string; text: string };

function parseArg(text: string, what: 'user' | 'group', spec: string): Arg {
  if (/^\d+$/.test(text)) {
    const id = parseId(text);
    if (id === null) throw new UsageError(`--user ${spec}: ${what} id ${text} is out of range (0..${MAX_ID})`);
    return { numeric: true, id, text };
  }
  if (text.includes('\0') || text.includes('\n')) throw new UsageError(`--user ${JSON.stringify(spec)}: invalid ${what} name`);
  return { numeric: false, name: text, text };
}

/**
 * Resolves a user spec (`user`, `uid`, `user:group`, `uid:gid`, `uid:group`,
 * `user:gid`; empty means uid 0) in the image's files.
 */
export function resolveUser(spec: string | undefined, files: UserFiles): ResolvedUser {
  const text = spec ?? '';
  const colon = text.indexOf(':');
  const userText = colon === -1 ? text : text.slice(0, colon);
  const groupText = colon === -1 ? '' : text.slice(colon + 1);
  const userArg = userText === '' ? null : parseArg(userText, 'user', text);
  const groupArg = groupText === '' ? null : parseArg(groupText, 'group', text);

  const passwd = files.passwd === null ? [] : parsePasswd(files.passwd);
  const match = passwd.find((u) => (userArg === null ? u.uid === 0 : userArg.numeric ? u.uid === userArg.id : u.name === userArg.name));

  const result: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  if (match) {
    result.uid = match.uid;
    result.gid = match.gid;
    result.home = match.home === '' ? '/' : match.home;
  } else if (userArg !== null) {
    if (!userArg.numeric) {
      throw new NotFoundError(`unable to find user ${userArg.name}: no matching entry in the image's /etc/passwd`, {
        hint: 'use a user that exists in the image, or a numeric uid[:gid]',
      });
    }
    result.uid = userArg.id;
  }

  if (groupArg !== null || match) {
    const groups = files.group === null ? [] : parseGroup(files.group);
    if (groupArg !== null) {
      const g = groups.find((e) => (groupArg.numeric ? e.gid === groupArg.id : e.name === groupArg.name));
      if (g) result.gid = g.gid;
      else if (groupArg.numeric) result.gid = groupArg.id;
      else {
        throw new NotFoundError(`unable to find group ${groupArg.name}: no matching entry in the image's /etc/group`, {
          hint: 'use a group that exists in the image, or a numeric gid',
        });
      }
    } else {
      result.additionalGids = [...new Set(groups.filter((g) => g.members.includes(match!.name)).map((g) => g.gid))];
    }
  }
  return result;
}

/** Reads the image's /etc/passwd and /etc/group safely (see readFileInRootfs); lowerDirs top first. */
export async function readUserFiles(lowerDirs: readonly string[], options: RootfsReadOptions = {}): Promise<UserFiles> {
  const [passwd, group] = await Promise.all([
    readFileInRootfs(lowerDirs, '/etc/passwd', USER_FILE_MAX_BYTES, options),
    readFileInRootfs(lowerDirs, '/etc/group', USER_FILE_MAX_BYTES, options),
  ]);
  return { passwd: passwd?.toString('utf8') ?? null, group: group?.toString('utf8') ?? null };
}
