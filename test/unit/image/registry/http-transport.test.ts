import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from '../../../../src/errors.js';
import { send, type TransportOptions } from '../../../../src/image/registry/http-transport.js';
import { serve } from './_scripted-server.js';

const insecureTlsAgents = () => ({ http: new http.Agent(), https: new https.Agent({ rejectUnauthorized: false }) });
const options = (): TransportOptions => ({ agents: insecureTlsAgents(), idleTimeoutMs: 10_000, maxRedirects: 10 });

/** An HTTPS server on 127.0.0.1 with a throw-away self-signed certificate (openssl is part of the test host). */
async function httpsServer(handler: http.RequestListener): Promise<{ origin: string; close: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { origin: `https://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('an HTTPS → HTTP redirect is refused unless the endpoint is insecure, and never carries Authorization', async (t) => {
  const plain = await serve((_req, res) => res.end('blob'));
  t.teardown(() => plain.close());
  const tls = await httpsServer((_req, res) => {
    res.writeHead(302, { location: `${plain.origin}/storage` });
    res.end();
  });
  t.teardown(() => tls.close());
  const url = new URL(`${tls.origin}/v2/foo/bar/blobs/x`);
  await t.throwsAsync(send({ method: 'GET', url, authorization: 'Bearer secret' }, options()), { instanceOf: RegistryError, message: /refusing redirect from HTTPS to plain HTTP/ });
  t.is(plain.requests.length, 0);

  const { res } = await send({ method: 'GET', url, authorization: 'Bearer secret', allowDowngrade: true }, options());
  res.resume();
  t.is(plain.requests.length, 1);
  t.is(plain.requests[0]!.headers.authorization, undefined);
});

test('a redirect to another port of the same host is another origin: no Authorization', async (t) => {
  const other = await serve((_req, res) => res.end('ok'));
  t.teardown(() => other.close());
  const first = await serve((_req, res) => {
    res.writeHead(307, { location: `${other.origin}/x` });
    res.end();
  });
  t.teardown(() => first.close());
  const { res, url } = await send({ method: 'GET', url: new URL(`${first.origin}/v2/`), authorization: 'Basic c2VjcmV0' }, options());
  res.resume();
  t.is(url.href, `${other.origin}/x`);
  t.is(first.requests[0]!.headers.authorization, 'Basic c2VjcmV0');
  t.is(other.requests[0]!.headers.authorization, undefined);
});

test('303 turns a POST into a bodiless GET', async (t) => {
  const server = await serve((req, res) => {
    if (req.url === '/token') {
      res.writeHead(303, { location: '/elsewhere' });
      res.end();
    } else res.end(req.method);
  });
  t.teardown(() => server.close());
  const { res } = await send({ method: 'POST', url: new URL(`${server.origin}/token`), body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, options());
  res.resume();
  t.deepEqual(server.requests.map((r) => [r.method, r.headers['content-length'] ?? null]), [['POST', '3'], ['GET', null]]);
});

test('redirects without Location or to other schemes are errors', async (t) => {
  const server = await serve((req, res) => {
    res.writeHead(302, req.url === '/none' ? {} : { location: 'file:///etc/passwd' });
    res.end();
  });
  t.teardown(() => server.close());
  await t.throwsAsync(send({ method: 'GET', url: new URL(`${server.origin}/none`) }, options()), { message: /redirect without a Location header/ });
  await t.throwsAsync(send({ method: 'GET', url: new URL(`${server.origin}/file`) }, options()), { message: /unsupported scheme file:/ });
});

test('a stalled response fails with ETIMEDOUT', async (t) => {
  const server = await serve(() => undefined);
  t.teardown(() => server.close());
  const err = await t.throwsAsync(send({ method: 'GET', url: new URL(`${server.origin}/slow`) }, { ...options(), idleTimeoutMs: 50 }));
  t.is((err as NodeJS.ErrnoException).code, 'ETIMEDOUT');
});
