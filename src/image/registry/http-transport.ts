// One HTTP exchange with a registry, redirects included. Built on node:http and
// node:https rather than fetch: Node 20's fetch (bundled undici) offers no way
// to pass a keep-alive agent without the undici package, hides the socket (we
// must destroy it on abort and on oversized bodies), and its automatic redirect
// handling cannot enforce our rules. node:http follows no redirects at all, so
// every hop is decided here: Authorization only ever goes to the origin it was
// issued for, HTTPS is never downgraded to HTTP, loops and long chains fail.
import http from 'node:http';
import https from 'node:https';
import { RegistryError } from '../../errors.js';

/** The keep-alive agents one client shares across its requests. */
export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

/** Creates keep-alive agents; maxSockets bounds parallel connections per host (layers download a few at a time). */
export function createAgents(maxSockets = 8): Agents {
  return {
    http: new http.Agent({ keepAlive: true, maxSockets }),
    https: new https.Agent({ keepAlive: true, maxSockets }),
  };
}

/** A request to send, before redirects. */
export interface TransportRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  /** Sent only to `url`'s origin, never to a host a redirect leads to. */
  authorization?: string;
  body?: string;
  signal?: AbortSignal;
  /** Allows an https → http redirect (only for endpoints the user marked insecure). */
  allowDowngrade?: boolean;
}

/** Tunables of the transport. */
export interface TransportOptions {
  agents: Agents;
  /** Socket idle time before the exchange fails with ETIMEDOUT (also applies while a body streams). */
  idleTimeoutMs: number;
  maxRedirects: number;
}

/** The final response and the URL that produced it. */
export interface TransportResponse {
  res: http.IncomingMessage;
  url: URL;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Sends a request and follows redirects under hutch's rules; the caller consumes or destroys `res`. */
export async function send(request: TransportRequest, options: TransportOptions): Promise<TransportResponse> {
  const origin = request.url.origin;
  const visited = [request.url.href];
  let url = request.url;
  let method = request.method;
  let body = request.body;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { ...request.headers };
    if (request.authorization !== undefined && url.origin === origin) headers.authorization = request.authorization;
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
    const res = await exchange(url, method, headers, body, request.signal, options);
    const status = res.statusCode ?? 0;
    if (!REDIRECT_STATUSES.has(status)) return { res, url };

    res.resume();
    const location = res.headers.location;
    if (!location) throw new RegistryError(`${method} ${url.href}: ${status} redirect without a Location header`, { status });
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (cause) {
      throw new RegistryError(`${method} ${url.href}: ${status} redirect to an invalid URL ${JSON.stringify(location.slice(0, 200))}`, { status, cause });
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new RegistryError(`${method} ${url.href}: redirect to unsupported scheme ${next.protocol}`, { status });
    }
    if (url.protocol === 'https:' && next.protocol === 'http:' && !request.allowDowngrade) {
      throw new RegistryError(`${method} ${url.href}: refusing redirect from HTTPS to plain HTTP (${next.origin})`, {
        status,
        hint: 'mark the registry insecure in registries.conf only if you trust the network path',
      });
    }
    if (visited.includes(next.href)) {
      throw new RegistryError(`${request.method} ${request.url.href}: redirect loop (${[...visited, next.href].join(' -> ')})`, { status, code: 'EREDIRECTLOOP' });
    }
    if (hop + 1 > options.maxRedirects) {
      throw new RegistryError(`${request.method} ${request.url.href}: more than ${options.maxRedirects} redirects (last: ${next.href})`, { status, code: 'EREDIRECTLOOP' });
    }
    visited.push(next.href);
    // RFC 9110 §15.4: 303 always, and 301/302 in practice, turn a POST into a GET without a body.
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    url = next;
  }
}

function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal | undefined,
  options: TransportOptions,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const req = (secure ? https : http).request(url, {
      method,
      headers: { 'user-agent': 'hutch', ...headers },
      agent: secure ? options.agents.https : options.agents.http,
      signal,
    });
    req.setTimeout(options.idleTimeoutMs, () => {
      const err = new Error(`no data from ${url.host} for ${options.idleTimeoutMs} ms`) as NodeJS.ErrnoException;
      err.code = 'ETIMEDOUT';
      req.destroy(err);
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end(body);
  });
}
