// `hutch diff`: what a container changed, read from its overlay upper dir
// against the image's layers (podman's C/A/D list). Whiteouts are deletions;
// a path the layers below also have is a change; anything else was added,
// as is everything below an added or opaque directory.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostError, fromNodeError } from '../errors.js';
import { isWhiteout, lookupInLowers } from '../storage/lower-lookup.js';

/** One changed path, as podman prints it (`C /etc`). */
export interface Change {
  kind: 'C' | 'A' | 'D';
  path: string;
}

/** Filesystem access, injected in tests. */
export interface DiffDeps {
  isOpaque: (dir: string) => boolean;
}

function walk(upper: string, lowers: readonly string[], parts: string[], inherited: 'A' | null, deps: DiffDeps, out: Change[]): void {
  const dir = join(upper, ...parts);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    throw fromNodeError(err, dir);
  }
  for (const name of names) {
    const here = [...parts, name];
    const host = join(upper, ...here);
    const st = lstatSync(host);
    const path = `/${here.join('/')}`;
    if (isWhiteout(st)) {
      out.push({ kind: 'D', path });
      continue;
    }
    const inLower = inherited === null && lookupInLowers(lowers, here, deps.isOpaque).kind === 'found';
    out.push({ kind: inLower ? 'C' : 'A', path });
    if (st.isDirectory()) walk(upper, lowers, here, !inLower || deps.isOpaque(host) ? 'A' : null, deps, out);
  }
}

/** The changes recorded in `upper` over `lowers` (diff dirs, topmost first), sorted by path. */
export function containerChanges(upper: string, lowers: readonly string[], deps: DiffDeps): Change[] {
  const out: Change[] = [];
  walk(upper, lowers, [], null, deps, out);
  return out;
}

/** podman's `--format json` shape. */
export function changesJson(changes: readonly Change[]): { changed: string[]; added: string[]; deleted: string[] } {
  const pick = (kind: Change['kind']) => changes.filter((c) => c.kind === kind).map((c) => c.path);
  return { changed: pick('C'), added: pick('A'), deleted: pick('D') };
}

/** The node command line of the diff worker: dist/…/diff-worker.js, or the .ts source through tsx in a checkout. */
function workerCommand(): string[] {
  const fromSource = import.meta.url.endsWith('.ts');
  const worker = fileURLToPath(new URL(fromSource ? './diff-worker.ts' : './diff-worker.js', import.meta.url));
  return fromSource ? ['--import', import.meta.resolve('tsx'), worker] : [worker];
}

/** Computes the changes of container `id` inside the user namespace (see diff-worker.ts). */
export async function diffContainer(root: string, id: string): Promise<Change[]> {
  const [{ planIdMapping, runInUserns }, { readContainerLayout }] = await Promise.all([import('../storage/userns.js'), import('./cp-native.js')]);
  const layout = readContainerLayout(root, id);
  if (layout.mode === 'copy') {
    throw new HostError('EDIFF', `container ${id.slice(0, 12)} has a copied root filesystem (rootfs mode copy): its changes are not recorded apart from the image`, {
      hint: 'compare with the image yourself (`hutch export`), or use kernel overlay or fuse-overlayfs for containers you want to diff (HUTCH_ROOTFS_MODE)',
    });
  }
  const { subprocess } = await runInUserns(await planIdMapping(), process.execPath, [...workerCommand(), JSON.stringify({ upper: layout.upper, lowers: layout.lowers })]);
  const result = await subprocess;
  const last = String(result.stdout).trim().split('\n').at(-1) ?? '';
  let parsed: { changes?: Change[]; error?: string } = {};
  try {
    parsed = JSON.parse(last) as typeof parsed;
  } catch {
    parsed = { error: String(result.stderr).trim() || `the diff worker exited with ${result.exitCode ?? result.signal}` };
  }
  if (!parsed.changes) throw new HostError('EDIFF', `cannot read the changes of container ${id.slice(0, 12)}: ${parsed.error}`, { hint: 'check that user namespaces work for your user (`hutch info`)' });
  return parsed.changes;
}
