import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../src/errors.js';
import { defaultAuthFiles, findCredentials, parseCredsFlag } from '../../../src/image/credentials.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dirs: string[] = [];
function authFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-cred-'));
  dirs.push(dir);
  const path = join(dir, 'auth.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('user:password, with ":" inside the password', (t) => {
  const f = authFile({ auths: { 'quay.io': { auth: b64('me:pa:ss:word') } } });
  t.deepEqual(findCredentials('quay.io/org/app', [f]), { username: 'me', password: 'pa:ss:word' });
  t.deepEqual(findCredentials('quay.io', [f]), { username: 'me', password: 'pa:ss:word' });
  t.is(findCredentials('ghcr.io/org/app', [f]), undefined);
});

test('most specific key wins', (t) => {
  const f = authFile({
    auths: {
      'registry.example.com': { auth: b64('host:1') },
      'registry.example.com/team': { auth: b64('team:2') },
      'registry.example.com/team/app': { auth: b64('app:3') },
    },
  });
  t.deepEqual(findCredentials('registry.example.com/team/app', [f]), { username: 'app', password: '3' });
  t.deepEqual(findCredentials('registry.example.com/team/other', [f]), { username: 'team', password: '2' });
  t.deepEqual(findCredentials('registry.example.com/elsewhere/x', [f]), { username: 'host', password: '1' });
  t.deepEqual(findCredentials('registry.example.com/teamx/app', [f]), { username: 'host', password: '1' }, 'a namespace matches whole components only');
});

test('docker.io under its legacy keys', (t) => {
  for (const key of ['https://index.docker.io/v1/', 'docker.io', 'registry-1.docker.io', 'index.docker.io']) {
    const f = authFile({ auths: { [key]: { auth: b64('hub:pw') } } });
    t.deepEqual(findCredentials('docker.io/library/debian', [f]), { username: 'hub', password: 'pw' }, key);
  }
  const urlKey = authFile({ auths: { 'https://quay.io/v1/': { auth: b64('q:1') } } });
  t.deepEqual(findCredentials('quay.io/a/b', [urlKey]), { username: 'q', password: '1' });
});

test('identity tokens', (t) => {
  const f = authFile({ auths: { 'r.example': { auth: b64('<token>:'), identitytoken: 'refresh-123' }, 'only.token': { identitytoken: 'tok' } } });
  t.deepEqual(findCredentials('r.example/x', [f]), { identityToken: 'refresh-123', username: '<token>' });
  t.deepEqual(findCredentials('only.token', [f]), { identityToken: 'tok' });
});

test('file order: the first file with an entry wins; missing files are skipped', (t) => {
  const a = authFile({ auths: { 'quay.io': { auth: b64('a:1') } } });
  const b = authFile({ auths: { 'quay.io': { auth: b64('b:2') }, 'ghcr.io': { auth: b64('g:3') } } });
  t.deepEqual(findCredentials('quay.io/x', ['/nonexistent/auth.json', a, b]), { username: 'a', password: '1' });
  t.deepEqual(findCredentials('ghcr.io/x', [a, b]), { username: 'g', password: '3' });
});

test('helper placeholders ({} entries) fall through to the next file', (t) => {
  const helper = authFile({ auths: { 'quay.io': {} }, credHelpers: { 'quay.io': 'secretservice' } });
  const plain = authFile({ auths: { 'quay.io': { auth: b64('p:w') } } });
  t.deepEqual(findCredentials('quay.io/x', [helper, plain]), { username: 'p', password: 'w' });
});

test('invalid files and values fail without revealing secrets', (t) => {
  const broken = authFile('{"auths": {"quay.io": {"auth": "c2VjcmV0OnB3"');
  const err = t.throws(() => findCredentials('quay.io', [broken]), { instanceOf: UsageError });
  t.false(err!.message.includes('c2VjcmV0OnB3'));
  t.true(err!.message.includes(broken));
  const badB64 = authFile({ auths: { 'quay.io': { auth: 'not base64!!' } } });
  const err2 = t.throws(() => findCredentials('quay.io', [badB64]), { instanceOf: UsageError, message: /not valid base64/ });
  t.false(err2!.message.includes('not base64!!'));
  const noColon = authFile({ auths: { 'quay.io': { auth: b64('justuser') } } });
  t.is(findCredentials('quay.io', [noColon]), undefined);
});

test('keys with schemes or digests are refused', (t) => {
  t.throws(() => findCredentials('https://quay.io', []), { instanceOf: UsageError });
  t.throws(() => findCredentials('quay.io/a@sha256:x', []), { instanceOf: UsageError });
});

test('default auth file order', (t) => {
  t.deepEqual(defaultAuthFiles({ HOME: '/h', XDG_RUNTIME_DIR: '/run/user/5' }, 5), ['/run/user/5/containers/auth.json', '/h/.config/containers/auth.json', '/h/.docker/config.json']);
  t.deepEqual(defaultAuthFiles({ HOME: '/h', XDG_CONFIG_HOME: '/cfg', DOCKER_CONFIG: '/dk' }, 7), ['/run/containers/7/auth.json', '/cfg/containers/auth.json', '/dk/config.json']);
  t.deepEqual(defaultAuthFiles({ HOME: '/h', REGISTRY_AUTH_FILE: '/x/auth.json' }, 7), ['/x/auth.json']);
});

test('--creds parsing', (t) => {
  t.deepEqual(parseCredsFlag('user:p:a:ss'), { username: 'user', password: 'p:a:ss' });
  t.throws(() => parseCredsFlag('user'), { instanceOf: UsageError, message: /missing password/ });
  t.throws(() => parseCredsFlag(':pw'), { instanceOf: UsageError, message: /username is empty/ });
  t.throws(() => parseCredsFlag('user:'), { instanceOf: UsageError, message: /password is empty/ });
});
