import test from 'ava';
import { UsageError } from '../../../src/errors.js';
import { isShortName, parseReference, splitReference } from '../../../src/image/reference.js';

const D = `sha256:${'b'.repeat(64)}`;

const normalised: Array<[string, string, string]> = [
  ['debian', 'docker.io/library/debian:latest', 'debian:latest'],
  ['debian:12', 'docker.io/library/debian:12', 'debian:12'],
  ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
  ['docker.io/debian', 'docker.io/library/debian:latest', 'debian:latest'],
  ['index.docker.io/library/debian:bookworm', 'docker.io/library/debian:bookworm', 'debian:bookworm'],
  ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
  ['quay.io/podman/stable', 'quay.io/podman/stable:latest', 'quay.io/podman/stable:latest'],
  ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
  ['localhost:5000/ns/app:v1.2', 'localhost:5000/ns/app:v1.2', 'localhost:5000/ns/app:v1.2'],
  ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest', '127.0.0.1:5000/app:latest'],
  ['[::1]:5000/app:x', '[::1]:5000/app:x', '[::1]:5000/app:x'],
  ['Registry.Example.COM/app', 'Registry.Example.COM/app:latest', 'Registry.Example.COM/app:latest'],
  ['host:5000', 'docker.io/library/host:5000', 'host:5000'],
  ['a__b/c-d--e/f.g_h', 'docker.io/a__b/c-d--e/f.g_h:latest', 'a__b/c-d--e/f.g_h:latest'],
  [`debian@${D}`, `docker.io/library/debian@${D}`, `debian@${D}`],
  [`debian:12@${D}`, `docker.io/library/debian:12@${D}`, `debian:12@${D}`],
];

for (const [input, canonical, familiar] of normalised) {
  test(`normalises ${input}`, (t) => {
    const ref = parseReference(input);
    t.is(ref.toString(), canonical);
    t.is(ref.familiar(), familiar);
  });
}

test('parts of a tag+digest reference: digest wins for pulling, tag kept', (t) => {
  const ref = parseReference(`localhost:5000/ns/app:v1@${D}`);
  t.is(ref.registry, 'localhost:5000');
  t.is(ref.repository, 'ns/app');
  t.is(ref.tag, 'v1');
  t.is(ref.digest, D);
  t.is(ref.name, 'localhost:5000/ns/app');
  t.is(ref.pullReference, D);
  t.is(parseReference('debian').pullReference, 'latest');
  t.is(parseReference(`debian@${D}`).tag, undefined);
});

test('withTag / withDigest / withName', (t) => {
  const ref = parseReference(`debian:12@${D}`);
  t.is(ref.withTag('13').toString(), 'docker.io/library/debian:13');
  t.is(parseReference('debian').withDigest(D).toString(), `docker.io/library/debian:latest@${D}`);
  t.is(ref.withName('mirror.local', 'library/debian').toString(), `mirror.local/library/debian:12@${D}`);
  t.throws(() => ref.withTag('-bad'), { instanceOf: UsageError });
  t.throws(() => ref.withDigest('sha256:../x'));
});

const invalid: Array<[string, RegExp]> = [
  ['', /empty/],
  ['Debian', /repository name "Debian" must be lowercase/],
  ['User/app', /must be lowercase/],
  ['docker.io/Library/debian', /must be lowercase/],
  ['debian:', /tag ""/],
  ['debian:-x', /tag "-x"/],
  ['debian:.x', /tag ".x"/],
  [`debian:${'a'.repeat(129)}`, /tag/],
  ['debian:a/b', /registry "debian:a" is not a valid host/],
  ['debian@sha256:abc', /exactly 64 hex/],
  [`debian@sha256:${'B'.repeat(64)}`, /lowercase/],
  ['debian@sha256:../../etc/passwd', /invalid digest/],
  [`debian@md5:${'a'.repeat(32)}`, /not supported/],
  ['../etc/passwd', /registry ".." is not a valid host/],
  ['a/../b', /path component "\.\."/],
  ['localhost/../../x', /path component "\.\."/],
  ['/debian', /empty path component/],
  ['debian/', /empty path component/],
  ['a//b', /empty path component/],
  ['-debian', /path component "-debian"/],
  ['deb--', /path component/],
  ['a...b', /path component "a...b"/],
  ['a b', /whitespace/],
  ['https://quay.io/app', /URL scheme/],
  ['bad_host.io:x/app', /registry "bad_host.io:x" is not a valid host/],
  ['localhost/', /repository name is empty/],
  ['a'.repeat(64).replace(/a/g, 'f'), /image ID/],
  [`debian@${D}@${D}`, /invalid digest/],
];

for (const [input, message] of invalid) {
  test(`rejects ${JSON.stringify(input.slice(0, 40))}`, (t) => {
    const err = t.throws(() => parseReference(input), { instanceOf: UsageError });
    t.regex(err!.message, message);
    t.true(err!.message.includes(JSON.stringify(input)), 'the message names the input');
  });
}

test('name length limit counts the normalised name', (t) => {
  const long = `${'a'.repeat(120)}/${'b'.repeat(120)}`;
  t.is(parseReference(long).name.length, 'docker.io/'.length + 241);
  const tooLong = `${'a'.repeat(120)}/${'b'.repeat(125)}`;
  t.throws(() => parseReference(tooLong), { instanceOf: UsageError, message: /maximum is 255/ });
  t.is(parseReference('x'.repeat(237)).name.length, 255);
  t.throws(() => parseReference('x'.repeat(238)), { instanceOf: UsageError, message: /256 characters long/ });
});

test('isShortName follows the registry-host rule', (t) => {
  t.true(isShortName('debian'));
  t.true(isShortName('debian:12'));
  t.true(isShortName('user/app'));
  t.true(isShortName(`user/app@${D}`));
  t.true(isShortName('localhost:5000'));
  t.false(isShortName('localhost/app'));
  t.false(isShortName('quay.io/app'));
  t.false(isShortName('host:5000/app'));
  t.false(isShortName('docker.io/library/debian'));
});

test('splitReference keeps the written path without library/', (t) => {
  t.deepEqual(splitReference('debian:12'), { registry: undefined, path: 'debian', tag: '12', digest: undefined });
  t.deepEqual(splitReference('quay.io/a/b'), { registry: 'quay.io', path: 'a/b', tag: undefined, digest: undefined });
});
