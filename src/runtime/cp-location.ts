// `hutch cp` operands: `CONTAINER:PATH` names a path in a container, anything
// else (`-` included) is on the host, as podman reads them.

/** One side of a copy. */
export type CpLocation = { kind: 'container'; container: string; path: string } | { kind: 'host'; path: string };

/**
 * Splits an operand. A colon makes it a container path only when what comes
 * before it has no slash, so `./a:b` and `/tmp/x:y` stay host paths; the
 * container path is taken from the container's root whether or not it starts
 * with `/` (podman).
 */
export function parseCpLocation(arg: string): CpLocation {
  const match = /^([^/:]+):(.*)$/.exec(arg);
  if (!match || arg.startsWith('.')) return { kind: 'host', path: arg };
  return { kind: 'container', container: match[1]!, path: `/${match[2]!.replace(/^\/+/, '')}` };
}

/** The last component of a path, ignoring trailing slashes; `/` for the root. */
export function lastComponent(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
