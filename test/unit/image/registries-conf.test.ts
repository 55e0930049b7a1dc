import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../../src/errors.js';
import { parseReference } from '../../../src/image/reference.js';
import {
  defaultRegistriesConfSources,
  loadRegistriesConf,
  registryFor,
  resolveShortName,
  type RegistriesConf,
} from '../../../src/image/registries-conf.js';

const D = `sha256:${'c'.repeat(64)}`;
const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-regconf-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function load(files: Record<string, string>, aliases?: string): RegistriesConf {
  const dir = tree(aliases === undefined ? files : { ...files, 'cache/short-name-aliases.conf': aliases });
  return loadRegistriesConf({ configFile: join(dir, 'registries.conf'), dropInDirs: [join(dir, 'system.d'), join(dir, 'user.d')], aliasesFile: join(dir, 'cache/short-name-aliases.conf') });
}
const names = (conf: RegistriesConf, input: string) => resolveShortName(input, conf).candidates.map(String);

test('no configuration: short names go to docker.io', (t) => {
  const conf = load({});
  t.deepEqual(conf.files, []);
  t.deepEqual(resolveShortName('debian', conf), { candidates: [parseReference('docker.io/library/debian:latest')], rationale: 'default' });
  t.deepEqual(names(conf, 'user/app:1'), ['docker.io/user/app:1']);
});

test('fully qualified names are not resolved', (t) => {
  const conf = load({ 'registries.conf': 'unqualified-search-registries = ["quay.io"]\n[aliases]\n"debian" = "quay.io/x/debian"\n' });
  t.deepEqual(resolveShortName('localhost/debian', conf), { candidates: [parseReference('localhost/debian')], rationale: 'qualified' });
  t.deepEqual(names(conf, 'docker.io/debian'), ['docker.io/library/debian:latest']);
});

test('search registries in order; enforcing with several candidates tries them in order', (t) => {
  const conf = load({ 'registries.conf': 'short-name-mode = "enforcing"\nunqualified-search-registries = ["registry.fedoraproject.org", "quay.io", "docker.io"]\n' });
  t.is(conf.shortNameMode, 'enforcing');
  const r = resolveShortName(`debian:12@${D}`, conf);
  t.is(r.rationale, 'search');
  t.deepEqual(r.candidates.map(String), [`registry.fedoraproject.org/debian:12@${D}`, `quay.io/debian:12@${D}`, `docker.io/library/debian:12@${D}`]);
});

test('aliases win over search registries and keep the tag/digest of the input', (t) => {
  const conf = load({ 'registries.conf': 'unqualified-search-registries = ["quay.io"]\n[aliases]\n"debian" = "docker.io/debian"\n"ns/tool" = "ghcr.io/org/tool"\n' });
  t.deepEqual(names(conf, 'debian'), ['docker.io/library/debian:latest']);
  t.deepEqual(names(conf, 'debian:12'), ['docker.io/library/debian:12']);
  t.deepEqual(names(conf, `debian@${D}`), [`docker.io/library/debian@${D}`]);
  t.deepEqual(names(conf, 'ns/tool:2'), ['ghcr.io/org/tool:2']);
  t.is(resolveShortName('debian', conf).rationale, 'alias');
  t.deepEqual(names(conf, 'ubuntu'), ['quay.io/ubuntu:latest']);
});

test('drop-ins merge in order: search list and mode replaced, aliases added, reset with ""', (t) => {
  const conf = load({
    'registries.conf': 'unqualified-search-registries = ["a.example"]\nshort-name-mode = "enforcing"\n[aliases]\n"one" = "a.example/one"\n"two" = "a.example/two"\n',
    'system.d/10-b.conf': 'unqualified-search-registries = ["b.example"]\n[aliases]\n"two" = "b.example/two"\n',
    'system.d/20-c.conf': '[aliases]\n"one" = ""\n',
    'system.d/05-ignored.txt': 'this is not TOML [[[',
    'user.d/01-user.conf': 'short-name-mode = "disabled"\n',
  });
  t.is(conf.files.length, 4);
  t.true(conf.unqualifiedSearchRegistriesOrigin!.endsWith('10-b.conf'));
  t.is(conf.shortNameMode, 'disabled');
  t.deepEqual(names(conf, 'two'), ['b.example/two:latest']);
  t.deepEqual(names(conf, 'one'), ['b.example/one:latest'], 'a reset alias falls back to the search list');
});

test('short-name-aliases.conf takes precedence over registries.conf aliases', (t) => {
  const conf = load({ 'registries.conf': '[aliases]\n"debian" = "quay.io/x/debian"\n' }, '[aliases]\n"debian" = "docker.io/library/debian"\n');
  t.deepEqual(names(conf, 'debian'), ['docker.io/library/debian:latest']);
});

test('an explicitly empty search list is an error naming the file', (t) => {
  const conf = load({ 'registries.conf': 'unqualified-search-registries = []\n' });
  const err = t.throws(() => resolveShortName('debian', conf), { instanceOf: UsageError });
  t.regex(err!.message, /registries\.conf/);
  t.deepEqual(names(conf, 'quay.io/a'), ['quay.io/a:latest']);
});

const rewriting = `
[[registry]]
prefix = "example.com/foo"
location = "internal.example.net/mirror/foo"
insecure = true

[[registry]]
location = "example.com"
[[registry.mirror]]
location = "mirror-a.example.com"
[[registry.mirror]]
location = "mirror-b.example.com:5000/cache"
insecure = true
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "mirror-c.example.com"
pull-from-mirror = "tag-only"

[[registry]]
location = "blocked.example"
blocked = true

[[registry]]
prefix = "*.wild.example"
insecure = true

[[registry]]
prefix = "*.wild2.example"
location = "single.example"

[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "localhost:5000"
`;

test('registryFor: longest prefix wins and rewrites the location', (t) => {
  const conf = load({ 'registries.conf': rewriting });
  const target = registryFor(parseReference('example.com/foo/bar:1'), conf);
  t.is(target.prefix, 'example.com/foo');
  t.true(target.insecure);
  t.deepEqual(target.endpoints.map((e) => [String(e.reference), e.insecure, e.mirror]), [['internal.example.net/mirror/foo/bar:1', true, false]]);
  t.is(registryFor(parseReference('example.com/foobar'), conf).prefix, 'example.com', 'prefixes match whole components');
});

test('registryFor: mirrors in order then the primary, honouring pull-from-mirror', (t) => {
  const conf = load({ 'registries.conf': rewriting });
  const byTag = registryFor(parseReference('example.com/app:2'), conf);
  t.false(byTag.insecure);
  t.deepEqual(byTag.endpoints.map((e) => [String(e.reference), e.mirror]), [
    ['mirror-a.example.com/app:2', true],
    ['mirror-c.example.com/app:2', true],
    ['example.com/app:2', false],
  ]);
  const byDigest = registryFor(parseReference(`example.com/app@${D}`), conf);
  t.deepEqual(byDigest.endpoints.map((e) => [String(e.reference), e.insecure]), [
    [`mirror-a.example.com/app@${D}`, false],
    [`mirror-b.example.com:5000/cache/app@${D}`, true],
    [`example.com/app@${D}`, false],
  ]);
  const hub = registryFor(parseReference('debian'), conf);
  t.deepEqual(hub.endpoints.map(String).length, 2);
  t.is(String(hub.endpoints[0]!.reference), 'localhost:5000/library/debian:latest');
});

test('registryFor: blocked, wildcard prefixes and no match', (t) => {
  const conf = load({ 'registries.conf': rewriting });
  t.true(registryFor(parseReference('blocked.example/x'), conf).blocked);
  const wild = registryFor(parseReference('a.b.wild.example/x/y'), conf);
  t.true(wild.insecure);
  t.is(String(wild.endpoints[0]!.reference), 'a.b.wild.example/x/y:latest');
  t.is(String(registryFor(parseReference('sub.wild2.example:443/x'), conf).endpoints[0]!.reference), 'single.example:443/x:latest');
  t.is(registryFor(parseReference('wild.example/x'), conf).prefix, undefined, '*.wild.example does not match wild.example itself');
  t.is(registryFor(parseReference('evil.com/a.wild.example/x'), conf).prefix, undefined, 'the wildcard must match the host, not a path');
  const none = registryFor(parseReference('quay.io/x'), conf);
  t.deepEqual(none, { prefix: undefined, blocked: false, insecure: false, endpoints: [{ location: 'quay.io', reference: parseReference('quay.io/x'), insecure: false, mirror: false }] });
});

test('a drop-in replaces a registry with the same prefix', (t) => {
  const conf = load({ 'registries.conf': '[[registry]]\nlocation = "r.example"\nblocked = true\n', 'user.d/x.conf': '[[registry]]\nlocation = "r.example"\ninsecure = true\n' });
  const target = registryFor(parseReference('r.example/x'), conf);
  t.false(target.blocked);
  t.true(target.insecure);
});

test('v1 format in the main file is converted', (t) => {
  const conf = load({ 'registries.conf': '[registries.search]\nregistries = ["quay.io"]\n[registries.insecure]\nregistries = ["insecure.local:5000"]\n[registries.block]\nregistries = ["bad.example"]\n' });
  t.deepEqual(names(conf, 'x'), ['quay.io/x:latest']);
  t.true(registryFor(parseReference('insecure.local:5000/a'), conf).insecure);
  t.true(registryFor(parseReference('bad.example/a'), conf).blocked);
});

const invalid: Array<[string, Record<string, string>, RegExp]> = [
  ['bad TOML', { 'registries.conf': 'unqualified-search-registries = [' }, /invalid TOML at line/],
  ['URL scheme location', { 'registries.conf': '[[registry]]\nlocation = "https://quay.io"\n' }, /URI schemes are not supported/],
  ['no location or prefix', { 'registries.conf': '[[registry]]\ninsecure = true\n' }, /both location and prefix are unset/],
  ['prefix without location', { 'registries.conf': '[[registry]]\nprefix = "a.example"\n' }, /not of the form \*\.example\.com/],
  ['wildcard with path', { 'registries.conf': '[[registry]]\nprefix = "*.a.example/ns"\nlocation = "b"\n' }, /must be of the form/],
  ['conflicting insecure', { 'registries.conf': '[[registry]]\nprefix = "a/x"\nlocation = "r.example"\n[[registry]]\nprefix = "a/y"\nlocation = "r.example"\ninsecure = true\n' }, /conflicting "insecure"/],
  ['bad pull-from-mirror', { 'registries.conf': '[[registry]]\nlocation = "r.example"\n[[registry.mirror]]\nlocation = "m"\npull-from-mirror = "sometimes"\n' }, /unsupported pull-from-mirror/],
  ['pull-from-mirror on primary', { 'registries.conf': '[[registry]]\nlocation = "r.example"\npull-from-mirror = "all"\n' }, /only valid on a/],
  ['mirror without location', { 'registries.conf': '[[registry]]\nlocation = "r.example"\n[[registry.mirror]]\ninsecure = true\n' }, /mirror has no location/],
  ['bad search registry', { 'registries.conf': 'unqualified-search-registries = ["quay.io/ns"]\n' }, /must be a host\[:port\]/],
  ['bad mode', { 'registries.conf': 'short-name-mode = "prompt"\n' }, /short-name-mode "prompt"/],
  ['wrong type', { 'registries.conf': '[[registry]]\nlocation = "r.example"\ninsecure = "yes"\n' }, /"insecure" must be true or false/],
  ['alias with tag', { 'registries.conf': '[aliases]\n"debian" = "docker.io/library/debian:12"\n' }, /must not contain a tag or digest/],
  ['alias without registry', { 'registries.conf': '[aliases]\n"debian" = "library/debian"\n' }, /must name a registry/],
  ['alias name with registry', { 'registries.conf': '[aliases]\n"quay.io/debian" = "docker.io/library/debian"\n' }, /must be a short name/],
  ['alias traversal', { 'registries.conf': '[aliases]\n"x" = "quay.io/../../etc"\n' }, /path component/],
  ['v1 in a drop-in', { 'system.d/a.conf': '[registries.search]\nregistries = ["quay.io"]\n' }, /drop-in files must use the v2 format/],
  ['mixed v1 and v2', { 'registries.conf': 'unqualified-search-registries = ["quay.io"]\n[registries.search]\nregistries = ["quay.io"]\n' }, /mixing/],
];

for (const [name, files, message] of invalid) {
  test(`refuses invalid configuration: ${name}`, (t) => {
    const err = t.throws(() => load(files), { instanceOf: UsageError, message });
    t.regex(err!.message, /registries configuration `\/.*`/);
  });
}

test('a rewrite to an invalid name is reported against the configuration', (t) => {
  const conf = load({ 'registries.conf': '[[registry]]\nprefix = "a.example"\nlocation = "b.example/UPPER"\n' });
  t.throws(() => registryFor(parseReference('a.example/x'), conf), { instanceOf: UsageError, message: /rewriting a\.example\/x/ });
});

test('default sources: a user file replaces the system file and system drop-ins', (t) => {
  const home = tree({ '.config/containers/registries.conf': '' });
  t.deepEqual(defaultRegistriesConfSources({ HOME: home }, 1000), {
    configFile: join(home, '.config/containers/registries.conf'),
    dropInDirs: [join(home, '.config/containers/registries.conf.d')],
    aliasesFile: join(home, '.cache/containers/short-name-aliases.conf'),
  });
  const empty = tree({});
  t.deepEqual(defaultRegistriesConfSources({ HOME: empty, XDG_CONFIG_HOME: join(empty, 'cfg') }, 0), {
    configFile: '/etc/containers/registries.conf',
    dropInDirs: ['/etc/containers/registries.conf.d', join(empty, 'cfg/containers/registries.conf.d')],
    aliasesFile: '/var/cache/containers/short-name-aliases.conf',
  });
});
