// The running kernel's release (uname -r), read from procfs: node:os would
// cost every `hutch run` about a millisecond to load.
import { readFileSync } from 'node:fs';

/** The kernel release, e.g. "6.1.0-27-amd64"; empty when /proc is not mounted. */
export function kernelRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return '';
  }
}
