// Standard input copied to a private temporary file, for commands that must
// read their input twice (import hashes the tarball, then applies it).
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Copies stdin into a new file under `stagingDir` and returns its path and a remover. */
export async function spoolStdin(stagingDir: string): Promise<{ path: string; remove: () => void }> {
  const dir = mkdtempSync(join(stagingDir, 'stdin-'));
  const path = join(dir, 'input');
  await pipeline(process.stdin, createWriteStream(path, { mode: 0o600 }));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
