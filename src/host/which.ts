// Finds executables without spawning anything: a PATH walk plus the
// directories distributions install helpers into, which a user's PATH often
// lacks (/usr/sbin on Debian for non-root users).
import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Directories searched after $PATH. */
export const SYSTEM_BIN_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The first regular, executable file called `name` in $PATH and then SYSTEM_BIN_DIRS, or null. */
export async function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter((d) => isAbsolute(d)), ...SYSTEM_BIN_DIRS];
  for (const dir of new Set(dirs)) {
    const candidate = join(dir, name);
    try {
      if (!(await stat(candidate)).isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}
