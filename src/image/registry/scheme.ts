// Which scheme and API host to use for a registry endpoint. Docker's rule: plain
// HTTP only for registries the user marked insecure and for loopback hosts;
// everything else is HTTPS with no silent fallback to HTTP (a fallback lets a
// network attacker downgrade the connection).

/** The URL scheme hutch uses to talk to one registry endpoint. */
export type RegistryScheme = 'http' | 'https';

/** How the user configured an endpoint (registries.conf `insecure`, `--tls-verify`). */
export interface SchemeOptions {
  /** registries.conf `insecure = true` for this endpoint. */
  insecure?: boolean;
  /** `--tls-verify`; false means plain HTTP, as the issue specifies. */
  tlsVerify?: boolean;
}

/** Splits `host[:port]` (IPv6 literals in brackets) into its host part, without brackets. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(1, end);
  }
  const colons = host.split(':').length - 1;
  if (colons === 1) return host.slice(0, host.indexOf(':'));
  return host;
}

/** True for `localhost`, 127.0.0.0/8 and ::1, with or without a port (docker treats them as insecure by default). */
export function isLoopbackHost(host: string): boolean {
  const name = hostnameOf(host.trim()).toLowerCase();
  if (name === 'localhost' || name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  const octets = name.split('.');
  if (octets.length !== 4 || octets[0] !== '127') return false;
  return octets.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255);
}

/** Chooses HTTP or HTTPS for a registry endpoint: HTTP only when insecure, tlsVerify is false, or loopback. */
export function selectScheme(host: string, options: SchemeOptions = {}): RegistryScheme {
  if (options.insecure === true || options.tlsVerify === false || isLoopbackHost(host)) return 'http';
  return 'https';
}

/** Maps a registry name to the host that serves its API: docker.io's API lives on registry-1.docker.io. */
export function apiHostFor(registry: string): string {
  const lower = registry.toLowerCase();
  if (lower === 'docker.io' || lower === 'index.docker.io') return 'registry-1.docker.io';
  return registry;
}
