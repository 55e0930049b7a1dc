// Short forms of digests and IDs, as podman prints them.

/** The first 12 hex digits of a digest or ID ("sha256:abc..." → "abc..."). */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** A digest shortened for progress lines: "sha256:" + 12 hex digits. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.includes(':') ? digest.split(':', 2) as [string, string] : ['sha256', digest];
  return `${algorithm}:${hex.slice(0, 12)}`;
}
