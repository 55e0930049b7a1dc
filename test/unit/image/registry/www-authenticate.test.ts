import test from 'ava';
import { parseWwwAuthenticate } from '../../../../src/image/registry/www-authenticate.js';

test('parses a docker.io style Bearer challenge', (t) => {
  const header = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull"';
  t.deepEqual(parseWwwAuthenticate(header), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/debian:pull' } },
  ]);
});

test('commas and escaped quotes inside quoted values do not split parameters', (t) => {
  const header = 'Bearer realm="https://auth.example/token?a=1,b=2", scope="repository:a/b:pull,push", error="say \\"hi\\""';
  const [c] = parseWwwAuthenticate(header);
  t.is(c!.params.realm, 'https://auth.example/token?a=1,b=2');
  t.is(c!.params.scope, 'repository:a/b:pull,push');
  t.is(c!.params.error, 'say "hi"');
});

test('several challenges, unquoted tokens, odd spacing and case', (t) => {
  const header = 'Basic realm="Registry Realm" , BEARER Realm=https://x.example/t ,Service = svc';
  t.deepEqual(parseWwwAuthenticate(header), [
    { scheme: 'basic', params: { realm: 'Registry Realm' } },
    { scheme: 'bearer', params: { realm: 'https://x.example/t', service: 'svc' } },
  ]);
});

test('multiple header lines are combined', (t) => {
  const challenges = parseWwwAuthenticate(['Basic realm="a"', 'Bearer realm="b"']);
  t.deepEqual(challenges.map((c) => c.scheme), ['basic', 'bearer']);
});

test('garbage never throws', (t) => {
  for (const header of ['', '=', '"', ',,,', 'Bearer realm="unterminated', '=x Bearer', '\u0000\u0001']) {
    t.notThrows(() => parseWwwAuthenticate(header), header);
  }
  t.deepEqual(parseWwwAuthenticate(undefined), []);
  t.is(parseWwwAuthenticate('Bearer realm="unterminated')[0]!.params.realm, 'unterminated');
});
