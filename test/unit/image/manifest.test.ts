import test from 'ava';
import { InvalidContentError } from '../../../src/errors.js';
import { digestOf } from '../../../src/image/digest.js';
import {
  MAX_MANIFEST_BYTES,
  parseDescriptor,
  parseImageConfig,
  parseManifest,
  requireImageManifest,
  type ImageManifest,
} from '../../../src/image/manifest.js';
import { DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST } from '../../../src/image/media-types.js';

const d = (s: string) => digestOf(s);
const enc = (v: unknown) => Buffer.from(JSON.stringify(v));
const desc = (mediaType: string, s: string, extra: object = {}) => ({ mediaType, digest: d(s), size: s.length, ...extra });

const ociManifest = {
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: desc(OCI_CONFIG, 'config'),
  layers: [desc(OCI_LAYER_GZIP, 'l1'), desc(OCI_LAYER_GZIP, 'l2')],
  annotations: { 'org.opencontainers.image.title': 'x' },
};

const ociIndex = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    desc(OCI_MANIFEST, 'amd', { platform: { os: 'linux', architecture: 'amd64' } }),
    desc(OCI_MANIFEST, 'arm', { platform: { os: 'linux', architecture: 'arm', variant: 'v7' } }),
    desc('application/vnd.in-toto+json', 'att', { platform: { os: 'unknown', architecture: 'unknown' } }),
    desc(OCI_INDEX, 'nested'),
  ],
};

test('parses an OCI manifest', (t) => {
  const m = parseManifest(enc(ociManifest), OCI_MANIFEST, 'img');
  t.is(m.kind, 'manifest');
  if (m.kind !== 'manifest') return;
  t.is(m.mediaType, OCI_MANIFEST);
  t.is(m.config.digest, d('config'));
  t.is(m.layers.length, 2);
  t.is(m.layers[1]!.size, 2);
  t.deepEqual(m.annotations, { 'org.opencontainers.image.title': 'x' });
});

test('parses an OCI index, marking unknown entries as skipped and keeping nested indexes', (t) => {
  const idx = parseManifest(enc(ociIndex), `${OCI_INDEX}; charset=utf-8`, 'img');
  t.is(idx.kind, 'index');
  if (idx.kind !== 'index') return;
  t.deepEqual(idx.manifests.map((e) => e.skip), [false, false, true, false]);
  t.deepEqual(idx.manifests[1]!.platform, { os: 'linux', architecture: 'arm', variant: 'v7' });
  t.is(idx.manifests[3]!.mediaType, OCI_INDEX);
});

test('parses Docker schema 2 manifest and list', (t) => {
  const manifest = { schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: desc(DOCKER_CONFIG, 'c'), layers: [desc(DOCKER_LAYER_GZIP, 'l')] };
  t.is(parseManifest(enc(manifest), DOCKER_MANIFEST, 'img').mediaType, DOCKER_MANIFEST);
  const list = { schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests: [desc(DOCKER_MANIFEST, 'm', { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } })] };
  const parsed = parseManifest(enc(list), DOCKER_MANIFEST_LIST, 'img');
  t.is(parsed.kind, 'index');
});

test('a Docker manifest list entry without platform is refused', (t) => {
  const list = { schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests: [desc(DOCKER_MANIFEST, 'm')] };
  t.throws(() => parseManifest(enc(list), DOCKER_MANIFEST_LIST, 'img'), { instanceOf: InvalidContentError, message: /requires/ });
});

test('generic Content-Type: the body decides', (t) => {
  const { mediaType: _, ...bare } = ociManifest;
  t.is(parseManifest(enc(bare), 'application/json', 'img').mediaType, OCI_MANIFEST);
  t.is(parseManifest(enc({ schemaVersion: 2, manifests: [] }), undefined, 'img').mediaType, OCI_INDEX);
  t.is(parseManifest(enc(ociIndex), 'text/plain', 'img').mediaType, OCI_INDEX);
});

test('mediaType confusion: body contradicts Content-Type', (t) => {
  t.throws(() => parseManifest(enc(ociManifest), OCI_INDEX, 'img'), { instanceOf: InvalidContentError, message: /contradicts/ });
  t.throws(() => parseManifest(enc(ociManifest), DOCKER_MANIFEST, 'img'), { instanceOf: InvalidContentError, message: /contradicts/ });
  t.throws(() => parseManifest(enc(ociIndex), OCI_MANIFEST, 'img'), { instanceOf: InvalidContentError, message: /contradicts/ });
});

test('mediaType confusion: structure contradicts the declared type', (t) => {
  const { mediaType: _, ...bareIndex } = ociIndex;
  t.throws(() => parseManifest(enc(bareIndex), OCI_MANIFEST, 'img'), { instanceOf: InvalidContentError, message: /content is an index/ });
  t.throws(() => parseManifest(enc({ ...ociManifest, mediaType: OCI_INDEX }), undefined, 'img'), { instanceOf: InvalidContentError, message: /image manifest/ });
});

test('mediaType confusion: non-manifest types', (t) => {
  t.throws(() => parseManifest(enc(ociManifest), OCI_CONFIG, 'img'), { instanceOf: InvalidContentError, message: /not a manifest type/ });
  t.throws(() => parseManifest(enc({ ...ociManifest, mediaType: OCI_CONFIG }), undefined, 'img'), { instanceOf: InvalidContentError, message: /not a manifest type/ });
  t.throws(() => parseManifest(enc({ ...ociManifest, mediaType: 7 }), undefined, 'img'), { instanceOf: InvalidContentError, message: /must be a string/ });
  t.throws(() => parseManifest(enc(ociManifest), 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'img'), { instanceOf: InvalidContentError, message: /schema 1/ });
});

test('a document that is both an index and a manifest is refused', (t) => {
  const both = { schemaVersion: 2, manifests: ociIndex.manifests, config: ociManifest.config, layers: ociManifest.layers };
  for (const type of [undefined, OCI_INDEX, OCI_MANIFEST]) {
    t.throws(() => parseManifest(enc(type ? { ...both, mediaType: type } : both), type, 'img'), { instanceOf: InvalidContentError, message: /both "manifests" and "config"\/"layers"/ });
  }
  t.throws(() => parseManifest(enc({ schemaVersion: 2, manifests: [], layers: [] }), undefined, 'img'), { instanceOf: InvalidContentError });
  t.throws(() => parseManifest(enc({ schemaVersion: 2 }), undefined, 'img'), { instanceOf: InvalidContentError, message: /neither/ });
});

test('schemaVersion must be 2', (t) => {
  t.throws(() => parseManifest(enc({ ...ociManifest, schemaVersion: 1 }), undefined, 'img'), { instanceOf: InvalidContentError, message: /schema 1/ });
  t.throws(() => parseManifest(enc({ ...ociManifest, schemaVersion: '2' }), undefined, 'img'), { instanceOf: InvalidContentError, message: /expected 2/ });
  const { schemaVersion: _, ...none } = ociManifest;
  t.throws(() => parseManifest(enc(none), OCI_MANIFEST, 'img'), { instanceOf: InvalidContentError });
});

test('oversized, non-JSON and non-object documents are refused', (t) => {
  const big = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
  t.throws(() => parseManifest(big, OCI_MANIFEST, 'img'), { instanceOf: InvalidContentError, message: /larger than the 4194304-byte limit/ });
  t.throws(() => parseManifest(Buffer.from('{'), OCI_MANIFEST, 'img'), { instanceOf: InvalidContentError, message: /JSON/ });
  t.throws(() => parseManifest(Buffer.from([0x7b, 0xff, 0x7d]), OCI_MANIFEST, 'img'), { instanceOf: InvalidContentError, message: /UTF-8/ });
  t.throws(() => parseManifest(Buffer.from('[1]'), OCI_MANIFEST, 'img'), { instanceOf: InvalidContentError, message: /not a JSON object/ });
});

const badDescriptors: Array<[string, unknown, RegExp]> = [
  ['traversing digest', { mediaType: OCI_LAYER_GZIP, digest: 'sha256:../../../etc/passwd', size: 1 }, /invalid digest/],
  ['uppercase digest', { mediaType: OCI_LAYER_GZIP, digest: `sha256:${'A'.repeat(64)}`, size: 1 }, /lowercase/],
  ['missing digest', { mediaType: OCI_LAYER_GZIP, size: 1 }, /not a string/],
  ['negative size', { mediaType: OCI_LAYER_GZIP, digest: d('x'), size: -1 }, /non-negative integer/],
  ['fractional size', { mediaType: OCI_LAYER_GZIP, digest: d('x'), size: 1.5 }, /non-negative integer/],
  ['unsafe size', { mediaType: OCI_LAYER_GZIP, digest: d('x'), size: 2 ** 60 }, /non-negative integer/],
  ['string size', { mediaType: OCI_LAYER_GZIP, digest: d('x'), size: '1' }, /non-negative integer/],
  ['missing mediaType', { digest: d('x'), size: 1 }, /not a valid media type/],
  ['malformed mediaType', { mediaType: 'no-slash', digest: d('x'), size: 1 }, /not a valid media type/],
  ['platform without os', { mediaType: OCI_MANIFEST, digest: d('x'), size: 1, platform: { architecture: 'amd64' } }, /platform.os/],
  ['platform arch not string', { mediaType: OCI_MANIFEST, digest: d('x'), size: 1, platform: { os: 'linux', architecture: 1 } }, /platform.architecture/],
  ['variant not string', { mediaType: OCI_MANIFEST, digest: d('x'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 7 } }, /variant/],
  ['urls not strings', { mediaType: OCI_LAYER_GZIP, digest: d('x'), size: 1, urls: [1] }, /urls/],
  ['annotations not strings', { mediaType: OCI_LAYER_GZIP, digest: d('x'), size: 1, annotations: { a: 1 } }, /annotations/],
  ['not an object', 'sha256:abc', /not an object/],
];

for (const [name, value, message] of badDescriptors) {
  test(`descriptor validation: ${name}`, (t) => {
    t.throws(() => parseDescriptor(value, 'layer #1'), { instanceOf: InvalidContentError, message });
    const manifest = { ...ociManifest, layers: [value] };
    t.throws(() => parseManifest(enc(manifest), OCI_MANIFEST, 'img'), { instanceOf: InvalidContentError });
  });
}

test('an index entry with a bad digest fails even when its media type is unknown', (t) => {
  const idx = { ...ociIndex, manifests: [{ mediaType: 'application/x-unknown', digest: 'sha256:../x', size: 1 }] };
  t.throws(() => parseManifest(enc(idx), OCI_INDEX, 'img'), { instanceOf: InvalidContentError, message: /entry #1/ });
});

function manifestWith(layers: number): ImageManifest {
  return {
    kind: 'manifest',
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: d('c'), size: 1 },
    layers: Array.from({ length: layers }, (_, i) => ({ mediaType: OCI_LAYER_GZIP, digest: d(`l${i}`), size: 1 })),
  };
}

const config = {
  architecture: 'amd64',
  os: 'linux',
  created: '2024-01-01T00:00:00Z',
  config: {
    Env: ['PATH=/usr/bin', 'A=b'],
    Entrypoint: ['/entry'],
    Cmd: ['sh', '-c', 'echo hi'],
    User: '1000:1000',
    WorkingDir: '/srv',
    Labels: { 'org.label': 'v' },
    StopSignal: 'SIGRTMIN+3',
    ExposedPorts: { '80/tcp': {}, '53/udp': {} },
    Volumes: { '/data': {} },
    Unknown: 1,
  },
  rootfs: { type: 'layers', diff_ids: [d('u1'), d('u2')] },
  history: [{ created_by: 'ADD x', created: '2024' }, { created_by: 'ENV a=b', empty_layer: true }, { created_by: 'RUN y' }],
  extra: 'ignored',
};

test('parses an image config', (t) => {
  const c = parseImageConfig(enc(config), manifestWith(2), 'config of img');
  t.is(c.os, 'linux');
  t.is(c.architecture, 'amd64');
  t.deepEqual(c.diffIds, [d('u1'), d('u2')]);
  t.deepEqual(c.config, {
    env: ['PATH=/usr/bin', 'A=b'],
    entrypoint: ['/entry'],
    cmd: ['sh', '-c', 'echo hi'],
    user: '1000:1000',
    workingDir: '/srv',
    labels: { 'org.label': 'v' },
    stopSignal: 'SIGRTMIN+3',
    exposedPorts: ['80/tcp', '53/udp'],
    volumes: ['/data'],
  });
  t.deepEqual(c.history.map((h) => h.emptyLayer), [false, true, false]);
  t.is(c.history[0]!.createdBy, 'ADD x');
});

test('config with null fields and no config section', (t) => {
  const c = parseImageConfig(enc({ ...config, config: { Env: null, Cmd: null, Labels: null, Entrypoint: null } }), manifestWith(2), 'cfg');
  t.deepEqual(c.config, { env: [], labels: {}, exposedPorts: [], volumes: [] });
  const { config: _, ...noConfig } = config;
  t.deepEqual(parseImageConfig(enc(noConfig), manifestWith(2), 'cfg').config.env, []);
});

test('rootfs.type must be layers', (t) => {
  t.throws(() => parseImageConfig(enc({ ...config, rootfs: { type: 'Layers', diff_ids: [] } }), manifestWith(0), 'cfg'), { instanceOf: InvalidContentError, message: /must be "layers"/ });
  t.throws(() => parseImageConfig(enc({ ...config, rootfs: undefined }), manifestWith(0), 'cfg'), { instanceOf: InvalidContentError, message: /rootfs/ });
});

test('diff_ids must be valid digests, one per manifest layer', (t) => {
  t.throws(() => parseImageConfig(enc(config), manifestWith(3), 'cfg'), { instanceOf: InvalidContentError, message: /2 diff_ids but the manifest has 3 layers/ });
  t.throws(() => parseImageConfig(enc({ ...config, rootfs: { type: 'layers', diff_ids: [d('a'), 'sha256:../../x'] } }), manifestWith(2), 'cfg'), {
    instanceOf: InvalidContentError,
    message: /diff_id #2/,
  });
  t.throws(() => parseImageConfig(enc({ ...config, rootfs: { type: 'layers', diff_ids: 'x' } }), manifestWith(2), 'cfg'), { instanceOf: InvalidContentError });
});

test('config field types are checked', (t) => {
  const bad = [{ Env: 'A=b' }, { Cmd: [1] }, { Entrypoint: 'x' }, { User: 0 }, { Labels: { a: 1 } }, { ExposedPorts: ['80'] }, { Volumes: 'x' }];
  for (const c of bad) {
    t.throws(() => parseImageConfig(enc({ ...config, config: c }), manifestWith(2), 'cfg'), { instanceOf: InvalidContentError }, JSON.stringify(c));
  }
  t.throws(() => parseImageConfig(enc({ ...config, os: undefined }), manifestWith(2), 'cfg'), { instanceOf: InvalidContentError, message: /"os"/ });
  t.throws(() => parseImageConfig(enc({ ...config, history: [{ empty_layer: 'yes' }] }), manifestWith(2), 'cfg'), { instanceOf: InvalidContentError, message: /empty_layer/ });
});

test('oversized config is refused', (t) => {
  t.throws(() => parseImageConfig(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20), manifestWith(0), 'cfg'), { instanceOf: InvalidContentError, message: /limit/ });
});

test('requireImageManifest refuses artifacts', (t) => {
  t.notThrows(() => requireImageManifest(manifestWith(1), 'img'));
  const artifact = { ...manifestWith(1), config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: d('{}'), size: 2 } };
  t.throws(() => requireImageManifest(artifact, 'img'), { instanceOf: InvalidContentError, message: /artifact/ });
});
