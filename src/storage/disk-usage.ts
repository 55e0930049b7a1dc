// Disk space a directory tree occupies: allocated blocks (st_blocks), each
// inode counted once however many hardlinks it has, symlinks never followed.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes allocated on disk under `root` (like `du -s -B1`). */
export function diskUsage(root: string): number {
  const seen = new Set<string>();
  let total = 0;
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const st = lstatSync(path, { bigint: true });
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    total += Number(st.blocks) * 512;
    if (st.isDirectory()) for (const name of readdirSync(path)) stack.push(join(path, name));
  }
  return total;
}
