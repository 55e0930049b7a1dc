// A loopback HTTP proxy in front of the test registry for the pull e2e tests:
// it records every request (to prove which ones hutch makes) and can rewrite a
// response (to serve content the real registry refuses to store: a blob whose
// bytes do not match its digest, a manifest with a lying Content-Type).
import { once } from 'node:events';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A response about to be sent; return a replacement to change it. */
export interface ProxiedResponse {
  method: string;
  path: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A running proxy. */
export interface RegistryProxy {
  /** `127.0.0.1:PORT`, usable as the registry part of a reference. */
  host: string;
  /** `METHOD /path` of every request, in order. */
  requests: string[];
  stop(): Promise<void>;
}

/** Starts a proxy to `upstream` (`http://127.0.0.1:PORT`); `rewrite` may replace any response. */
export async function startRegistryProxy(upstream: string, rewrite?: (res: ProxiedResponse) => ProxiedResponse | undefined): Promise<RegistryProxy> {
  const target = new URL(upstream);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers, host: target.host };
      const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upRes) => {
        const body: Buffer[] = [];
        upRes.on('data', (c: Buffer) => body.push(c));
        upRes.on('end', () => {
          const original: ProxiedResponse = { method: req.method ?? 'GET', path: req.url ?? '/', status: upRes.statusCode ?? 502, headers: upRes.headers, body: Buffer.concat(body) };
          const out = rewrite?.(original) ?? original;
          const outHeaders: IncomingHttpHeaders = { ...out.headers };
          delete outHeaders['transfer-encoding'];
          if (out.method !== 'HEAD') outHeaders['content-length'] = String(out.body.length);
          res.writeHead(out.status, outHeaders as Record<string, string>);
          res.end(out.method === 'HEAD' ? undefined : out.body);
        });
      });
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      up.end(Buffer.concat(chunks));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      server.close();
    },
  };
}
