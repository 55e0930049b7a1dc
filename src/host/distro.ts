// The distribution, from os-release(5): /etc/os-release, falling back to
// /usr/lib/os-release. Its family decides which package commands doctor prints.
import { readFile } from 'node:fs/promises';

/** Families whose fix commands differ. */
export type DistroFamily = 'debian' | 'fedora' | 'arch' | 'unknown';

/** The distribution as os-release describes it. */
export interface DistroReport {
  /** ID, e.g. "debian", "ubuntu", "fedora". */
  id: string;
  /** ID_LIKE, split. */
  idLike: string[];
  /** VERSION_ID, e.g. "12" or "24.04"; empty when absent (rolling releases). */
  versionId: string;
  prettyName: string;
  family: DistroFamily;
}

const FAMILIES: Record<string, DistroFamily> = {
  debian: 'debian', ubuntu: 'debian',
  fedora: 'fedora', rhel: 'fedora', centos: 'fedora',
  arch: 'arch',
};

function unquote(value: string): string {
  const m = /^(["'])(.*)\1$/.exec(value);
  return (m ? m[2]! : value).replace(/\\(["'$`\\])/g, '$1');
}

/** Parses os-release text (shell-style KEY=value lines). */
export function parseOsRelease(text: string): DistroReport {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, unquote(m[2]!));
  }
  const id = fields.get('ID') ?? 'linux';
  const idLike = (fields.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean);
  const family = [id, ...idLike].map((x) => FAMILIES[x]).find((f) => f !== undefined) ?? 'unknown';
  return { id, idLike, versionId: fields.get('VERSION_ID') ?? '', prettyName: fields.get('PRETTY_NAME') ?? fields.get('NAME') ?? id, family };
}

/** Reads the distribution from os-release. */
export async function readDistro(files = ['/etc/os-release', '/usr/lib/os-release']): Promise<DistroReport> {
  for (const file of files) {
    try {
      return parseOsRelease(await readFile(file, 'utf8'));
    } catch {
      continue;
    }
  }
  return parseOsRelease('');
}
