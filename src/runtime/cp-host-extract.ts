// Writes a tar produced by `hutch-runtime cp --out` on the host, for
// `hutch cp CONTAINER:SRC DEST`. The container chose the names and link
// targets in it, so nothing is ever written through a symlink: members go
// into a fresh private directory beside the destination with O_NOFOLLOW and
// checked parents, then the top member is moved into place.
import { constants, type Stats } from 'node:fs';
import { chmod, link, lstat, mkdir, mkdtemp, open, readdir, rename, rm, symlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { HutchError, InvalidContentError, fromNodeError } from '../errors.js';

/** Splits a member name into safe components; `..` or an empty name is refused. */
export function memberParts(name: string): string[] {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..')) throw new InvalidContentError(`unsafe archive member name ${JSON.stringify(name)}`);
  return parts;
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw fromNodeError(err, path);
  }
}

// Every parent below `root` must be a real directory this extraction made.
async function checkedParent(root: string, parts: readonly string[]): Promise<string> {
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    const st = await lstatOrNull(dir);
    if (!st) await mkdir(dir, { mode: 0o755 });
    else if (!st.isDirectory()) throw new InvalidContentError(`archive member below \`${parts.join('/')}\` passes through a non-directory`);
  }
  return dir;
}

async function writeEntry(root: string, entry: ReadEntry, dirModes: Map<string, number>): Promise<void> {
  const parts = memberParts(entry.path);
  const parent = await checkedParent(root, parts);
  const path = join(parent, parts.at(-1)!);
  const mode = (entry.mode ?? 0o644) & 0o7777;
  const existing = await lstatOrNull(path);
  if (entry.type === 'Directory') {
    if (!existing) await mkdir(path, { mode: 0o700 });
    else if (!existing.isDirectory()) throw new InvalidContentError(`archive member \`${entry.path}\` is given twice`);
    // Directory modes last, so a read-only directory does not block its own children.
    dirModes.set(path, mode);
    entry.resume();
    return;
  }
  if (existing) await rm(path, { force: true });
  if (entry.type === 'File' || entry.type === 'ContiguousFile') {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of entry as AsyncIterable<Buffer>) await handle.write(chunk);
      await handle.chmod(mode & 0o777);
    } finally {
      await handle.close();
    }
    if (entry.mtime) await utimes(path, entry.mtime, entry.mtime);
    return;
  }
  entry.resume();
  if (entry.type === 'SymbolicLink') await symlink(entry.linkpath ?? '', path);
  else if (entry.type === 'Link') await link(join(await checkedParent(root, memberParts(entry.linkpath ?? '')), memberParts(entry.linkpath ?? '').at(-1)!), path);
  // Devices and FIFOs from a container are not recreated on the host (podman rootless cannot either).
}

/** Extracts `source` into a new private directory under `parentDir` and returns its path. */
export async function extractToStaging(source: Readable, parentDir: string): Promise<string> {
  const staging = await mkdtemp(join(parentDir, '.hutch-cp-'));
  const dirModes = new Map<string, number>();
  // strict: an invalid header is an error, never an entry silently skipped.
  const parser = new Parser({ strict: true });
  let failure: unknown;
  let chain = Promise.resolve();
  parser.on('entry', (entry: ReadEntry) => {
    chain = chain.then(async () => {
      if (failure) entry.resume();
      else await writeEntry(staging, entry, dirModes);
    }).catch((err: unknown) => {
      failure ??= err;
      entry.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', (err: Error) => reject(new InvalidContentError(`the copy from the container is not a valid tar: ${err.message}`)));
    source.on('error', reject);
    source.pipe(parser);
  });
  await chain;
  if (failure) {
    await rm(staging, { recursive: true, force: true });
    throw failure;
  }
  for (const [path, mode] of [...dirModes].reverse()) await chmod(path, mode & 0o777);
  return staging;
}

/**
 * Moves `from` onto `to`: a directory onto an existing directory merges
 * (podman), anything else replaces a non-directory; a non-directory never
 * replaces a directory.
 */
export async function moveInto(from: string, to: string): Promise<void> {
  const source = await lstat(from);
  const target = await lstatOrNull(to);
  if (target?.isDirectory() && source.isDirectory()) {
    for (const child of await readdir(from)) await moveInto(join(from, child), join(to, child));
    return;
  }
  if (target?.isDirectory()) throw new HutchError('ECP', `cannot overwrite directory \`${to}\` with a non-directory`);
  await mkdir(dirname(to), { recursive: true });
  await rename(from, to);
}
