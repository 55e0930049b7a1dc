// The per-container /etc/hostname, /etc/hosts and /etc/resolv.conf that are
// bind-mounted over the image's, generated as podman does.

/** Inputs for the generated files. */
export interface EtcFilesInput {
  hostname: string;
  /** The host's /etc/resolv.conf content. */
  hostResolvConf: string;
  /** 'none' keeps only loopback; 'host' shares the host's network stack. */
  network: 'none' | 'host';
  /** The host's /etc/hosts content, used for --network host. */
  hostHosts?: string;
}

/** The three files' contents, keyed by their path inside the container. */
export function generateEtcFiles(input: EtcFilesInput): Record<'/etc/hostname' | '/etc/hosts' | '/etc/resolv.conf', string> {
  const hosts =
    input.network === 'host' && input.hostHosts !== undefined
      ? `${input.hostHosts.trimEnd()}\n127.0.1.1\t${input.hostname}\n`
      : ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `127.0.1.1\t${input.hostname}`, ''].join('\n');
  return {
    '/etc/hostname': `${input.hostname}\n`,
    '/etc/hosts': hosts,
    '/etc/resolv.conf': resolvConfFor(input.hostResolvConf, input.network),
  };
}

/**
 * Copies the host's resolver configuration. In a private network namespace a
 * loopback nameserver (systemd-resolved's 127.0.0.53, dnsmasq's 127.0.0.1)
 * points at the container itself, so such lines are dropped, as podman does.
 */
export function resolvConfFor(hostResolvConf: string, network: 'none' | 'host'): string {
  const lines = hostResolvConf.split('\n').filter((line) => {
    if (network === 'host') return true;
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    return !match || !isLoopback(match[1]!);
  });
  return `${lines.join('\n').trimEnd()}\n`;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}
