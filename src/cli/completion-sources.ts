// Names for completion, read straight from the storage root's files
// (docs/storage.md) without opening the store: no lock, no sweep, no
// directory creation — a shell calls this on every Tab, possibly while
// another hutch holds store.lock. Anything unreadable is simply skipped.
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import type { CompletionSources, NamedObject } from './completion-words.js';

/** More entries than a shell can usefully show; stops a Tab in a huge directory from stalling. */
const MAX_PATHS = 2000;

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function listDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Stored images: IDs from images/<hex>.json file names, names from names.json (name → `sha256:<hex>`). */
export function readImages(root: string): NamedObject[] {
  const names = readJson(join(root, 'names.json'));
  const byId = new Map<string, string[]>();
  for (const entry of listDir(join(root, 'images'))) {
    const match = /^([a-f0-9]{64})\.json$/.exec(entry.name);
    if (match) byId.set(match[1]!, []);
  }
  if (names !== null && typeof names === 'object') {
    for (const [name, id] of Object.entries(names as Record<string, unknown>)) {
      if (typeof id === 'string') byId.get(id.replace(/^sha256:/, ''))?.push(name);
    }
  }
  return [...byId].map(([id, list]) => ({ id, names: list.sort() }));
}

/** Containers: containers/<id>/container.json (name and image name). */
export function readContainers(root: string): NamedObject[] {
  return listDir(join(root, 'containers')).flatMap((entry) => {
    if (!/^[a-f0-9]{64}$/.test(entry.name)) return [];
    const record = readJson(join(root, 'containers', entry.name, 'container.json')) as { name?: unknown; image?: { name?: unknown } } | undefined;
    if (!record || typeof record !== 'object') return [];
    const image = typeof record.image?.name === 'string' ? record.image.name : undefined;
    return [{ id: entry.name, names: typeof record.name === 'string' ? [record.name] : [], ...(image !== undefined ? { detail: image } : {}) }];
  });
}

/** Paths starting with `partial` (relative to `cwd`, `~/` meaning `home`), directories with a trailing `/`; dot files only once a dot is typed. */
export function listPaths(partial: string, dirsOnly: boolean, cwd: string, home: string): string[] {
  if (partial === '~') return ['~/'];
  const slash = partial.lastIndexOf('/');
  const dirPart = partial.slice(0, slash + 1);
  const base = partial.slice(slash + 1);
  const expanded = dirPart.startsWith('~/') ? join(home, dirPart.slice(2)) : dirPart;
  const dir = resolve(cwd, expanded === '' ? '.' : expanded);
  const found: string[] = [];
  for (const entry of listDir(dir)) {
    if (!entry.name.startsWith(base) || (entry.name.startsWith('.') && !base.startsWith('.'))) continue;
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(join(dir, entry.name)));
    if (dirsOnly && !isDir) continue;
    found.push(`${dirPart}${entry.name}${isDir ? '/' : ''}`);
    if (found.length >= MAX_PATHS) break;
  }
  return found.sort();
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The real sources: the store under `--root` (relative to `cwd`) or `defaultRoot`, and the filesystem. */
export function fileSources(defaultRoot: string, cwd: string, home: string): CompletionSources {
  const rootOf = (root: string | undefined) => (root !== undefined ? resolve(cwd, root) : defaultRoot);
  return {
    images: (root) => readImages(rootOf(root)),
    containers: (root) => readContainers(rootOf(root)),
    paths: (partial, dirsOnly) => listPaths(partial, dirsOnly, cwd, home),
  };
}
