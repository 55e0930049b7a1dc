import test from 'ava';
import { RegistryError } from '../../../../src/errors.js';
import { Authenticator, mayCredentialsGoTo, pullScope, type CredentialSource, type TokenRequest } from '../../../../src/image/registry/token-auth.js';
import { parseWwwAuthenticate } from '../../../../src/image/registry/www-authenticate.js';

function setup(options: { scheme?: 'http' | 'https'; credentials?: CredentialSource; bodies?: object[]; status?: number } = {}) {
  const requests: TokenRequest[] = [];
  const clock = { now: 1_000_000 };
  const bodies = options.bodies ?? [{ token: 'T1' }, { token: 'T2' }, { token: 'T3' }];
  const auth = new Authenticator({
    registry: 'registry.example',
    registryScheme: options.scheme ?? 'https',
    credentials: options.credentials,
    now: () => clock.now,
    fetchToken: async (request) => {
      requests.push(request);
      return { status: options.status ?? 200, body: JSON.stringify(bodies[requests.length - 1]) };
    },
  });
  return { auth, requests, clock };
}

const bearer = (realm = 'https://auth.example/token') => parseWwwAuthenticate(`Bearer realm="${realm}",service="svc",scope="repository:a/b:pull"`);
const scope = pullScope('a/b');

test('no Authorization is volunteered before the registry has challenged', async (t) => {
  const { auth, requests } = setup();
  t.is(await auth.authorizationFor(scope), undefined);
  t.is(requests.length, 0);
});

test('a Bearer challenge fetches an anonymous token for the pull scope, then reuses it', async (t) => {
  const { auth, requests } = setup();
  t.is(await auth.onUnauthorized(bearer(), scope, undefined), 'Bearer T1');
  t.is(await auth.authorizationFor(scope), 'Bearer T1');
  t.is(requests.length, 1);
  const url = requests[0]!.url;
  t.is(url.origin + url.pathname, 'https://auth.example/token');
  t.is(url.searchParams.get('service'), 'svc');
  t.deepEqual(url.searchParams.getAll('scope'), ['repository:a/b:pull']);
  t.is(requests[0]!.authorization, undefined);
});

test('tokens expire after expires_in (default and minimum 60 s) and are refetched', async (t) => {
  const { auth, requests, clock } = setup({ bodies: [{ token: 'T1', expires_in: 10 }, { token: 'T2', expires_in: 300 }, { token: 'T3' }] });
  await auth.onUnauthorized(bearer(), scope, undefined);
  clock.now += 50_000;
  t.is(await auth.authorizationFor(scope), 'Bearer T1', 'a 10 s token counts as 60 s');
  clock.now += 10_000;
  t.is(await auth.authorizationFor(scope), 'Bearer T2');
  clock.now += 290_000;
  t.is(await auth.authorizationFor(scope), 'Bearer T2');
  clock.now += 10_000;
  t.is(await auth.authorizationFor(scope), 'Bearer T3');
  t.is(requests.length, 3);
});

test('issued_at shortens a token lifetime but a skewed future issued_at is ignored', async (t) => {
  const { auth, clock } = setup({
    bodies: [{ token: 'T1', expires_in: 100, issued_at: new Date(1_000_000 - 90_000).toISOString() }, { token: 'T2', expires_in: 100, issued_at: new Date(1_000_000 + 3_600_000).toISOString() }, { token: 'T3' }],
  });
  await auth.onUnauthorized(bearer(), scope, undefined);
  clock.now += 6_000;
  t.is(await auth.authorizationFor(scope), 'Bearer T2', 'issued 90 s ago with 100 s to live: expired');
  clock.now += 60_000;
  t.is(await auth.authorizationFor(scope), 'Bearer T2', 'future issued_at falls back to local time');
});

test('each scope gets its own token', async (t) => {
  const { auth, requests } = setup();
  await auth.onUnauthorized(bearer(), scope, undefined);
  t.is(await auth.authorizationFor(pullScope('c/d')), 'Bearer T2');
  t.deepEqual(requests[1]!.url.searchParams.getAll('scope'), ['repository:c/d:pull', 'repository:a/b:pull']);
});

test('a refused token is replaced once; the same token refused again is an error', async (t) => {
  const { auth } = setup({ bodies: [{ token: 'T1' }, { token: 'T1' }] });
  const first = await auth.onUnauthorized(bearer(), scope, undefined);
  await t.throwsAsync(auth.onUnauthorized(bearer(), scope, first), { instanceOf: RegistryError, message: /rejected the credentials/ });
});

test('access_token is accepted when token is absent', async (t) => {
  const { auth } = setup({ bodies: [{ access_token: 'A1', expires_in: 120 }] });
  t.is(await auth.onUnauthorized(bearer(), scope, undefined), 'Bearer A1');
});

test('username/password go to an HTTPS realm as Basic with account', async (t) => {
  const { auth, requests } = setup({ credentials: { username: 'alice', password: 's3cret' } });
  await auth.onUnauthorized(bearer(), scope, undefined);
  t.is(requests[0]!.authorization, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  t.is(requests[0]!.url.searchParams.get('account'), 'alice');
});

test('credentials are never sent to a plain-HTTP realm of an HTTPS registry', async (t) => {
  const { auth, requests } = setup({ credentials: { username: 'alice', password: 's3cret' } });
  await auth.onUnauthorized(bearer('http://auth.example/token'), scope, undefined);
  t.is(requests[0]!.authorization, undefined);
  t.is(requests[0]!.url.searchParams.get('account'), null);
  t.false(mayCredentialsGoTo(new URL('http://auth.example/'), 'https'));
  t.true(mayCredentialsGoTo(new URL('http://127.0.0.1:5000/'), 'http'));
  t.true(mayCredentialsGoTo(new URL('https://auth.example/'), 'https'));
});

test('an identity token uses the OAuth2 refresh-token grant', async (t) => {
  const { auth, requests } = setup({ credentials: { identityToken: 'refresh-me' }, bodies: [{ access_token: 'A1' }] });
  t.is(await auth.onUnauthorized(bearer(), scope, undefined), 'Bearer A1');
  t.is(requests[0]!.method, 'POST');
  t.deepEqual(requests[0]!.form, { grant_type: 'refresh_token', refresh_token: 'refresh-me', client_id: 'hutch', scope: 'repository:a/b:pull', service: 'svc' });
});

test('a credential lookup runs once, lazily', async (t) => {
  let calls = 0;
  const { auth } = setup({
    credentials: () => {
      calls++;
      return { username: 'u', password: 'p' };
    },
  });
  t.is(calls, 0);
  await auth.onUnauthorized(bearer(), scope, undefined);
  await auth.authorizationFor(pullScope('x/y'));
  t.is(calls, 1);
});

test('a token service refusing the credentials gives a clear error', async (t) => {
  const { auth } = setup({ credentials: { username: 'u', password: 'bad' }, status: 401 });
  await t.throwsAsync(auth.onUnauthorized(bearer(), scope, undefined), { instanceOf: RegistryError, message: /refused the credentials for repository:a\/b:pull/ });
});

test('bad realms and token bodies are errors, not crashes', async (t) => {
  await t.throwsAsync(setup().auth.onUnauthorized(bearer('file:///etc/passwd'), scope, undefined), { message: /not an HTTP\(S\) URL/ });
  await t.throwsAsync(setup().auth.onUnauthorized(parseWwwAuthenticate('Bearer service="x"'), scope, undefined), { message: /invalid realm/ });
  await t.throwsAsync(setup({ bodies: [{ nope: 1 }] }).auth.onUnauthorized(bearer(), scope, undefined), { message: /returned no token/ });
  await t.throwsAsync(setup().auth.onUnauthorized(parseWwwAuthenticate('Negotiate'), scope, undefined), { message: /without a Bearer or Basic challenge/ });
});

test('Basic challenges use the credentials, or fail clearly without them', async (t) => {
  const basic = parseWwwAuthenticate('Basic realm="Registry"');
  const withCreds = setup({ credentials: { username: 'u', password: 'p' } }).auth;
  const header = await withCreds.onUnauthorized(basic, scope, undefined);
  t.is(header, `Basic ${Buffer.from('u:p').toString('base64')}`);
  t.is(await withCreds.authorizationFor(pullScope('other/repo')), header);
  await t.throwsAsync(withCreds.onUnauthorized(basic, scope, header), { message: /rejected the credentials/ });
  await t.throwsAsync(setup().auth.onUnauthorized(basic, scope, undefined), { message: /requires authentication and no credentials/ });
});
