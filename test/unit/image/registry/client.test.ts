import test, { type ExecutionContext } from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { InterruptedError, InvalidContentError, RegistryError, UsageError } from '../../../../src/errors.js';
import { RegistryClient, type RegistryClientOptions } from '../../../../src/image/registry/client.js';
import { serve, type Handler, type ScriptedServer } from './_scripted-server.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const FAST_RETRY = { tries: 5, baseDelayMs: 1, maxDelayMs: 5 };
const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function start(t: ExecutionContext, handler: Handler): Promise<ScriptedServer> {
  const server = await serve(handler);
  t.teardown(() => server.close());
  return server;
}

function clientFor(t: ExecutionContext, server: ScriptedServer, options: Partial<RegistryClientOptions> = {}): RegistryClient {
  const client = new RegistryClient({ registry: server.host, retry: FAST_RETRY, ...options });
  t.teardown(() => client.close());
  return client;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendManifest(res: ServerResponse, bytes: Buffer, method: string | undefined, digest: string | null = sha(bytes)) {
  const headers: Record<string, string | number> = { 'content-type': `${OCI_MANIFEST}; charset=utf-8`, 'content-length': bytes.length };
  if (digest) headers['docker-content-digest'] = digest;
  res.writeHead(200, headers);
  res.end(method === 'HEAD' ? undefined : bytes);
}

const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');

// --- authentication ---------------------------------------------------------

test('bearer flow: challenge, token for the pull scope, token cached across requests', async (t) => {
  const tokenRequests: URL[] = [];
  let server!: ScriptedServer;
  server = await start(t, (req, res) => {
    if (req.url!.startsWith('/token')) {
      tokenRequests.push(new URL(req.url!, server.origin));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: `T-${tokenRequests.length}`, expires_in: 300 }));
      return;
    }
    if (req.headers.authorization !== 'Bearer T-1' && req.headers.authorization !== 'Bearer T-2') {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${server.origin}/token",service="test-registry",scope="repository:foo/bar:pull"`, 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      return;
    }
    sendManifest(res, manifest, req.method);
  });
  const client = clientFor(t, server);
  const fetched = await client.getManifest('foo/bar', 'latest');
  t.deepEqual(fetched, { bytes: manifest, mediaType: OCI_MANIFEST, digest: sha(manifest) });
  await client.getManifest('foo/bar', 'latest');
  t.deepEqual(await client.headManifest('foo/bar', 'v1'), { digest: sha(manifest), mediaType: OCI_MANIFEST, size: manifest.length });
  t.is(tokenRequests.length, 1);
  t.is(tokenRequests[0]!.searchParams.get('service'), 'test-registry');
  t.deepEqual(tokenRequests[0]!.searchParams.getAll('scope'), ['repository:foo/bar:pull']);

  await client.getManifest('foo/baz', 'latest');
  t.is(tokenRequests.length, 2, 'another repository needs its own scope');
  t.deepEqual(tokenRequests[1]!.searchParams.getAll('scope'), ['repository:foo/baz:pull', 'repository:foo/bar:pull']);

  const registryRequests = server.requests.filter((r) => r.url.startsWith('/v2/'));
  t.deepEqual(
    registryRequests.map((r) => [r.method, r.headers.authorization ?? null]),
    [
      ['GET', null],
      ['GET', 'Bearer T-1'],
      ['GET', 'Bearer T-1'],
      ['HEAD', 'Bearer T-1'],
      ['GET', 'Bearer T-2'],
    ],
    'one 401 round trip in total: later scopes are requested before the first request',
  );
  t.true(registryRequests.every((r) => (r.headers.accept ?? '').split(', ').length === 4));
});

test('a token endpoint answering access_token is accepted', async (t) => {
  let server!: ScriptedServer;
  server = await start(t, (req, res) => {
    if (req.url!.startsWith('/auth')) {
      res.end(JSON.stringify({ access_token: 'AT', expires_in: 120 }));
    } else if (req.headers.authorization === 'Bearer AT') {
      sendManifest(res, manifest, req.method);
    } else {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${server.origin}/auth",service="s"` });
      res.end();
    }
  });
  t.is((await clientFor(t, server).getManifest('foo/bar', 'latest')).digest, sha(manifest));
});

const basicServer = (t: ExecutionContext, after: Handler = (req, res) => sendManifest(res, manifest, req.method)) =>
  start(t, (req, res, i) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('alice:wonder').toString('base64')}`) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="Registry Realm"', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}');
      return;
    }
    return after(req, res, i);
  });

test('Basic auth for htpasswd registries, volunteered after the first challenge', async (t) => {
  const server = await basicServer(t);
  const client = clientFor(t, server, { credentials: { username: 'alice', password: 'wonder' } });
  await client.getManifest('foo/bar', 'latest');
  await client.getManifest('foo/other', 'latest');
  t.deepEqual(
    server.requests.map((r) => r.headers.authorization ?? null),
    [null, `Basic ${Buffer.from('alice:wonder').toString('base64')}`, `Basic ${Buffer.from('alice:wonder').toString('base64')}`],
  );
});

test('bad Basic credentials give a clear 401 error naming the image', async (t) => {
  const server = await basicServer(t);
  const client = clientFor(t, server, { credentials: { username: 'alice', password: 'wrong' } });
  const err = await t.throwsAsync(client.getManifest('foo/bar', 'latest'), { instanceOf: RegistryError });
  t.is(err.status, 401);
  t.regex(err.message, new RegExp(`manifest ${server.host}/foo/bar:latest: 401 Unauthorized: UNAUTHORIZED: authentication required`));
  t.truthy(err.hint);
  t.is(server.requests.length, 2, 'no retry loop on refused credentials');
});

test('a registry requiring auth without credentials says so', async (t) => {
  const server = await basicServer(t);
  await t.throwsAsync(clientFor(t, server).getManifest('foo/bar', 'latest'), { instanceOf: RegistryError, message: /requires authentication and no credentials were found/ });
});

test('bad credentials at the token service give a clear error', async (t) => {
  let server!: ScriptedServer;
  server = await start(t, (req, res) => {
    if (req.url!.startsWith('/token')) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"details":"incorrect username or password"}');
      return;
    }
    res.writeHead(401, { 'www-authenticate': `Bearer realm="${server.origin}/token",service="svc"` });
    res.end();
  });
  const client = clientFor(t, server, { credentials: { username: 'alice', password: 'wrong' } });
  await t.throwsAsync(client.getManifest('foo/bar', 'latest'), { instanceOf: RegistryError, message: /refused the credentials for repository:foo\/bar:pull/ });
});

// --- retries ----------------------------------------------------------------

test('5xx responses are retried until success', async (t) => {
  const server = await start(t, (req, res, i) => {
    if (i < 2) {
      res.writeHead(i === 0 ? 503 : 502);
      res.end('busy');
      return;
    }
    sendManifest(res, manifest, req.method);
  });
  t.is((await clientFor(t, server).getManifest('foo/bar', 'latest')).digest, sha(manifest));
  t.is(server.requests.length, 3);
});

test('persistent 5xx fails after the bounded number of tries with the registry message', async (t) => {
  const server = await start(t, (_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"UNKNOWN","message":"storage on fire"}]}');
  });
  const err = await t.throwsAsync(clientFor(t, server).getManifest('foo/bar', 'latest'), { instanceOf: RegistryError, message: /500 Internal Server Error: UNKNOWN: storage on fire/ });
  t.is(err.status, 500);
  t.is(server.requests.length, FAST_RETRY.tries);
});

test('connection refused is retried, then reported naming the registry', async (t) => {
  const server = await start(t, (_req, res) => res.end());
  await server.close();
  const err = await t.throwsAsync(clientFor(t, server).getManifest('foo/bar', 'latest'), { instanceOf: RegistryError });
  t.regex(err.message, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
});

test('429 is retried after Retry-After', async (t) => {
  const server = await start(t, (req, res, i) => {
    if (i === 0) {
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return;
    }
    sendManifest(res, manifest, req.method);
  });
  await clientFor(t, server).getManifest('foo/bar', 'latest');
  t.deepEqual(server.requests.map((r) => r.method), ['GET', 'GET']);
});

// --- manifests --------------------------------------------------------------

test('HEAD of an unknown manifest is null; GET is an error naming the image', async (t) => {
  const server = await start(t, (_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}');
  });
  const client = clientFor(t, server);
  t.is(await client.headManifest('foo/bar', 'nope'), null);
  const err = await t.throwsAsync(client.getManifest('foo/bar', 'nope'), { instanceOf: RegistryError });
  t.is(err.status, 404);
  t.is(err.message, `manifest ${server.host}/foo/bar:nope: 404 Not Found: MANIFEST_UNKNOWN: manifest unknown ({"Tag":"nope"})`);
});

test('a manifest whose bytes do not match Docker-Content-Digest is rejected', async (t) => {
  const server = await start(t, (req, res) => sendManifest(res, manifest, req.method, sha(Buffer.from('other'))));
  const err = await t.throwsAsync(clientFor(t, server).getManifest('foo/bar', 'latest'), { instanceOf: InvalidContentError });
  t.true(err.message.includes(`Docker-Content-Digest says ${sha(Buffer.from('other'))}, the bytes hash to ${sha(manifest)}`));
});

test('a manifest fetched by digest must hash to that digest, whatever the headers say', async (t) => {
  const wanted = sha(Buffer.from('the manifest I asked for'));
  const server = await start(t, (req, res) => sendManifest(res, manifest, req.method, null));
  const err = await t.throwsAsync(clientFor(t, server).getManifest('foo/bar', wanted), { instanceOf: InvalidContentError });
  t.true(err.message.includes(`foo/bar@${wanted}: digest mismatch: expected ${wanted}, got ${sha(manifest)}`));
  t.is(server.requests[0]!.url, `/v2/foo/bar/manifests/${wanted}`);
});

test('a manifest fetched by digest with matching bytes returns that digest', async (t) => {
  const server = await start(t, (req, res) => sendManifest(res, manifest, req.method));
  t.is((await clientFor(t, server).getManifest('foo/bar', sha(manifest))).digest, sha(manifest));
});

test('HEAD reporting another digest than the one requested is rejected', async (t) => {
  const server = await start(t, (req, res) => sendManifest(res, manifest, req.method));
  const wanted = sha(Buffer.from('x'));
  await t.throwsAsync(clientFor(t, server).headManifest('foo/bar', wanted), { instanceOf: InvalidContentError, message: /reports digest/ });
});

test('a malformed Docker-Content-Digest is rejected', async (t) => {
  const server = await start(t, (req, res) => sendManifest(res, manifest, req.method, 'sha256:../../etc/passwd'));
  await t.throwsAsync(clientFor(t, server).headManifest('foo/bar', 'latest'), { instanceOf: InvalidContentError, message: /invalid Docker-Content-Digest of manifest/ });
});

test('oversized manifests are refused, announced or streamed', async (t) => {
  const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
  const server = await start(t, (req, res) => {
    if (req.url!.includes('announced')) {
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': big.length });
    } else {
      res.writeHead(200, { 'content-type': OCI_MANIFEST });
    }
    res.end(big);
  });
  const client = clientFor(t, server);
  await t.throwsAsync(client.getManifest('foo/announced', 'latest'), { instanceOf: InvalidContentError, message: /larger than 4194304 bytes/ });
  await t.throwsAsync(client.getManifest('foo/streamed', 'latest'), { instanceOf: InvalidContentError, message: /larger than 4194304 bytes/ });
});

test('invalid repository names, tags and digests are refused before any request', async (t) => {
  const server = await start(t, (_req, res) => res.end());
  const client = clientFor(t, server);
  await t.throwsAsync(client.getManifest('foo/../../bar', 'latest'), { instanceOf: UsageError });
  await t.throwsAsync(client.getManifest('Foo/bar', 'latest'), { instanceOf: UsageError });
  await t.throwsAsync(client.getManifest('foo/bar', 'a/../b'), { instanceOf: UsageError });
  await t.throwsAsync(client.getManifest('foo/bar', 'sha256:1234'), { instanceOf: InvalidContentError });
  t.throws(() => client.getBlob('foo/bar', { digest: 'sha256:../../../etc/passwd', size: 1 }), { instanceOf: InvalidContentError });
  await t.throwsAsync(client.getBlobBytes('foo/bar', { digest: sha(manifest), size: 5 * 1024 * 1024 }), { message: /exceeds the 4194304-byte limit/ });
  t.is(server.requests.length, 0);
});

test('huge error bodies are cut short in the message', async (t) => {
  const server = await start(t, (_req, res) => {
    res.writeHead(404);
    res.end('x'.repeat(2 * 1024 * 1024));
  });
  const err = await t.throwsAsync(clientFor(t, server).getManifest('foo/bar', 'latest'), { instanceOf: RegistryError });
  t.true(err.message.length < 400);
});

// --- blobs ------------------------------------------------------------------

const blob = randomBytes(300_000);
const descriptor = { digest: sha(blob), size: blob.length };
const blobPath = `/v2/foo/bar/blobs/${descriptor.digest}`;

/** First GET: sends `cut` bytes of a correctly announced body, then closes the connection. */
function cutOnFirstRequest(cut: number, onRange: Handler): Handler {
  return (req, res, i) => {
    if (!req.headers.range) {
      assertBlobPath(req.url);
      res.writeHead(200, { 'content-length': blob.length });
      res.write(blob.subarray(0, cut), () => res.socket?.end());
      return;
    }
    return onRange(req, res, i);
  };
}
function assertBlobPath(url: string | undefined) {
  if (url !== blobPath) throw new Error(`unexpected path ${url}`);
}

test('a connection cut mid-blob resumes with a Range request and a valid 206', async (t) => {
  const server = await start(
    t,
    cutOnFirstRequest(100_000, (req, res) => {
      const offset = Number(/^bytes=(\d+)-$/.exec(req.headers.range!)![1]);
      res.writeHead(206, { 'content-range': `bytes ${offset}-${blob.length - 1}/${blob.length}`, 'content-length': blob.length - offset });
      res.end(blob.subarray(offset));
    }),
  );
  const progress: number[] = [];
  const data = await collect(clientFor(t, server).getBlob('foo/bar', descriptor, { onProgress: (n) => progress.push(n) }));
  t.true(data.equals(blob));
  t.is(server.requests.length, 2);
  t.regex(server.requests[1]!.headers.range!, /^bytes=[1-9][0-9]*-$/);
  t.is(progress.at(-1), blob.length);
});

test('a body that stalls is abandoned after the idle timeout and resumed', async (t) => {
  const server = await start(t, (req, res) => {
    if (!req.headers.range) {
      res.writeHead(200, { 'content-length': blob.length });
      res.write(blob.subarray(0, 50_000));
      return;
    }
    const offset = Number(/^bytes=(\d+)-$/.exec(req.headers.range)![1]);
    res.writeHead(206, { 'content-range': `bytes ${offset}-${blob.length - 1}/${blob.length}` });
    res.end(blob.subarray(offset));
  });
  const data = await collect(clientFor(t, server, { idleTimeoutMs: 100 }).getBlob('foo/bar', descriptor));
  t.true(data.equals(blob));
  t.regex(server.requests.at(-1)!.headers.range ?? '', /^bytes=[1-9][0-9]*-$/);
});

test('a 200 answering a Range request restarts from zero without duplicating bytes downstream', async (t) => {
  const server = await start(
    t,
    cutOnFirstRequest(120_000, (_req, res) => {
      res.writeHead(200, { 'content-length': blob.length });
      res.end(blob);
    }),
  );
  const data = await collect(clientFor(t, server).getBlob('foo/bar', descriptor));
  t.is(data.length, blob.length);
  t.true(data.equals(blob));
  t.truthy(server.requests[1]!.headers.range);
});

test('a 206 whose Content-Range does not continue at the received offset is rejected', async (t) => {
  const server = await start(
    t,
    cutOnFirstRequest(100_000, (_req, res) => {
      res.writeHead(206, { 'content-range': `bytes 0-${blob.length - 1}/${blob.length}`, 'content-length': blob.length });
      res.end(blob);
    }),
  );
  await t.throwsAsync(collect(clientFor(t, server).getBlob('foo/bar', descriptor)), { instanceOf: InvalidContentError, message: /Content-Range "bytes 0-299999\/300000" does not continue at byte/ });
});

test('a 206 with a malformed or wrong-total Content-Range is rejected', async (t) => {
  for (const range of ['bytes */300000', 'bytes 100000-299999/300001', 'items 100000-299999/300000']) {
    const server = await start(
      t,
      cutOnFirstRequest(100_000, (req, res) => {
        const offset = Number(/^bytes=(\d+)-$/.exec(req.headers.range!)![1]);
        res.writeHead(206, { 'content-range': range.replace('100000', String(offset)), 'content-length': blob.length - offset });
        res.end(blob.subarray(offset));
      }),
    );
    await t.throwsAsync(collect(clientFor(t, server).getBlob('foo/bar', descriptor)), { instanceOf: InvalidContentError }, range);
  }
});

test('a streamed (chunked) blob longer than its descriptor size is aborted', async (t) => {
  const server = await start(t, (_req, res) => {
    res.write(blob);
    res.end(Buffer.from('!'));
  });
  await t.throwsAsync(collect(clientFor(t, server).getBlob('foo/bar', descriptor)), { instanceOf: InvalidContentError, message: /more data than the descriptor size of 300000 bytes/ });
});

test('a blob announced longer than its descriptor fails before streaming', async (t) => {
  const server = await start(t, (_req, res) => {
    res.writeHead(200, { 'content-length': blob.length + 10 });
    res.end(Buffer.concat([blob, Buffer.alloc(10)]));
  });
  await t.throwsAsync(collect(clientFor(t, server).getBlob('foo/bar', descriptor)), { instanceOf: InvalidContentError, message: /announces 300010 bytes where 300000 are expected/ });
});

test('a blob that ends short is an error', async (t) => {
  const server = await start(t, (_req, res) => {
    res.write(blob.subarray(0, 1000));
    res.end(blob.subarray(1000, blob.length - 10));
  });
  await t.throwsAsync(collect(clientFor(t, server).getBlob('foo/bar', descriptor)), { instanceOf: InvalidContentError, message: /ended at byte 299990 of 300000/ });
});

test('a digest mismatch errors the stream and never emits end', async (t) => {
  const corrupt = Buffer.from(blob);
  corrupt[1234] ^= 0xff;
  const server = await start(t, (_req, res) => res.end(corrupt));
  const stream = clientFor(t, server).getBlob('foo/bar', descriptor);
  let ended = false;
  stream.on('end', () => (ended = true));
  const err = await t.throwsAsync(collect(stream), { instanceOf: InvalidContentError });
  t.true(err.message.includes(`digest mismatch: expected ${descriptor.digest}, got ${sha(corrupt)}`));
  t.false(ended);
});

test('a redirect to another host carries no Authorization; a same-origin hop keeps it', async (t) => {
  const storage = await start(t, (_req, res) => res.end(blob));
  const server = await basicServer(t, (req, res) => {
    if (req.url === blobPath) {
      res.writeHead(307, { location: '/v2/foo/bar/same-origin-hop' });
      res.end();
    } else {
      res.writeHead(302, { location: `${storage.origin}/bucket/blob?sig=abc` });
      res.end();
    }
  });
  const client = clientFor(t, server, { credentials: { username: 'alice', password: 'wonder' } });
  const data = await collect(client.getBlob('foo/bar', descriptor));
  t.true(data.equals(blob));
  const basic = `Basic ${Buffer.from('alice:wonder').toString('base64')}`;
  t.deepEqual(server.requests.map((r) => [r.url, r.headers.authorization ?? null]), [
    [blobPath, null],
    [blobPath, basic],
    ['/v2/foo/bar/same-origin-hop', basic],
  ]);
  t.is(storage.requests.length, 1);
  t.is(storage.requests[0]!.url, '/bucket/blob?sig=abc');
  t.is(storage.requests[0]!.headers.authorization, undefined);
});

test('a redirect loop fails with a clear error', async (t) => {
  const server = await start(t, (req, res) => {
    res.writeHead(302, { location: req.url === blobPath ? '/elsewhere' : blobPath });
    res.end();
  });
  const err = await t.throwsAsync(collect(clientFor(t, server).getBlob('foo/bar', descriptor)), { instanceOf: RegistryError, message: /redirect loop/ });
  t.is(err.code, 'EREDIRECTLOOP');
  t.is(server.requests.length, 2);
});

test('an endless redirect chain stops after 10 hops', async (t) => {
  const server = await start(t, (_req, res, i) => {
    res.writeHead(307, { location: `/hop/${i + 1}` });
    res.end();
  });
  await t.throwsAsync(collect(clientFor(t, server).getBlob('foo/bar', descriptor)), { instanceOf: RegistryError, message: /more than 10 redirects/ });
  t.is(server.requests.length, 11);
});

test('aborting a download errors the stream with InterruptedError and closes the connection', async (t) => {
  let closed!: Promise<void>;
  const server = await start(t, (req, res) => {
    closed = new Promise((resolve) => req.socket.on('close', () => resolve()));
    res.writeHead(200, { 'content-length': blob.length });
    res.write(blob.subarray(0, 1000));
  });
  const controller = new AbortController();
  const stream = clientFor(t, server).getBlob('foo/bar', descriptor, { signal: controller.signal, onProgress: () => controller.abort() });
  await t.throwsAsync(collect(stream), { instanceOf: InterruptedError });
  await closed;
  t.pass();
});

test('getBlobBytes returns verified small blobs', async (t) => {
  const config = Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}');
  const server = await start(t, (_req, res) => res.end(config));
  t.true((await clientFor(t, server).getBlobBytes('foo/bar', { digest: sha(config), size: config.length })).equals(config));
});

test('a blob the registry does not know is an error naming it', async (t) => {
  const server = await start(t, (_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
  });
  await t.throwsAsync(collect(clientFor(t, server).getBlob('foo/bar', descriptor)), {
    instanceOf: RegistryError,
    message: `blob ${descriptor.digest} of ${server.host}/foo/bar: 404 Not Found: BLOB_UNKNOWN: blob unknown to registry`,
  });
});
