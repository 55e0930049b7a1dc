import test from 'ava';
import { InvalidContentError } from '../../../src/errors.js';
import {
  baseMediaType,
  DOCKER_FOREIGN_LAYER_GZIP,
  DOCKER_LAYER_GZIP,
  DOCKER_LAYER_TAR,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  isForeignLayer,
  isLayerMediaType,
  isManifestMediaType,
  layerCompression,
  MANIFEST_ACCEPT,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER_GZIP,
  OCI_LAYER_NONDIST_GZIP,
  OCI_LAYER_NONDIST_TAR,
  OCI_LAYER_NONDIST_ZSTD,
  OCI_LAYER_TAR,
  OCI_LAYER_ZSTD,
  OCI_MANIFEST,
} from '../../../src/image/media-types.js';

test('layer compression per media type', (t) => {
  t.is(layerCompression(OCI_LAYER_TAR), 'none');
  t.is(layerCompression(OCI_LAYER_GZIP), 'gzip');
  t.is(layerCompression(OCI_LAYER_ZSTD), 'zstd');
  t.is(layerCompression(OCI_LAYER_NONDIST_TAR), 'none');
  t.is(layerCompression(OCI_LAYER_NONDIST_GZIP), 'gzip');
  t.is(layerCompression(OCI_LAYER_NONDIST_ZSTD), 'zstd');
  t.is(layerCompression(DOCKER_LAYER_GZIP), 'gzip');
  t.is(layerCompression(DOCKER_LAYER_TAR), 'none');
  t.is(layerCompression(DOCKER_FOREIGN_LAYER_GZIP), 'gzip');
});

test('unknown and confusable layer types are refused', (t) => {
  for (const type of [OCI_CONFIG, OCI_MANIFEST, 'application/vnd.oci.image.layer.v1.tar+bzip2', 'application/octet-stream', '', OCI_LAYER_GZIP.toUpperCase()]) {
    const err = t.throws(() => layerCompression(type, 'layer sha256:x of img'), { instanceOf: InvalidContentError });
    t.true(err!.message.startsWith('layer sha256:x of img'));
    t.false(isLayerMediaType(type));
  }
});

test('foreign layers', (t) => {
  t.true(isForeignLayer(DOCKER_FOREIGN_LAYER_GZIP));
  t.true(isForeignLayer(OCI_LAYER_NONDIST_TAR));
  t.false(isForeignLayer(OCI_LAYER_GZIP));
  t.false(isForeignLayer(DOCKER_LAYER_GZIP));
});

test('Accept header lists all four manifest types', (t) => {
  const listed = MANIFEST_ACCEPT.split(',').map((s) => s.trim());
  t.deepEqual([...listed].sort(), [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].sort());
  for (const type of listed) t.true(isManifestMediaType(type));
  t.false(isManifestMediaType(OCI_CONFIG));
});

test('baseMediaType drops parameters and case', (t) => {
  t.is(baseMediaType('Application/VND.oci.image.index.v1+json; charset=utf-8'), OCI_INDEX);
  t.is(baseMediaType(undefined), '');
  t.is(baseMediaType(null), '');
});
