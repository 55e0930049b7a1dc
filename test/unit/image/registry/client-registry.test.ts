// The client against the real distribution registry (Debian docker-registry 2.8)
// with htpasswd auth: what the scripted server proves in isolation must also
// hold with a real implementation's headers, redirects and challenges.
import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { RegistryError } from '../../../../src/errors.js';
import { RegistryClient } from '../../../../src/image/registry/client.js';
import { pushBlob, pushRaw } from '../../../helpers/push.js';
import { startRegistry, type TestRegistry } from '../../../helpers/registry.js';

const sha = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let registry: TestRegistry;
test.before(async () => {
  registry = await startRegistry({ auth: true });
});
test.after.always(async () => {
  await registry?.stop();
});

test('pushes with plain HTTP, reads back through the client with Basic auth, verified', async (t) => {
  const layer = randomBytes(3 * 1024 * 1024 + 17);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(layer), size: layer.length }],
    }),
  );
  await pushBlob(registry, 'hutch/client-test', sha(layer), layer);
  await pushBlob(registry, 'hutch/client-test', sha(config), config);
  const pushed = await pushRaw(registry, 'hutch/client-test', 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json');
  t.is(pushed.status, 201, pushed.body);

  const client = new RegistryClient({ registry: registry.host, credentials: { username: registry.username!, password: registry.password! } });
  t.teardown(() => client.close());
  t.is(client.scheme, 'http', 'loopback registries are plain HTTP');

  t.deepEqual(await client.headManifest('hutch/client-test', 'v1'), { digest: sha(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: manifest.length });
  t.is(await client.headManifest('hutch/client-test', 'absent'), null);
  const fetched = await client.getManifest('hutch/client-test', 'v1');
  t.true(fetched.bytes.equals(manifest));
  t.is(fetched.digest, sha(manifest));
  t.true((await client.getManifest('hutch/client-test', sha(manifest))).bytes.equals(manifest));
  t.true((await client.getBlobBytes('hutch/client-test', { digest: sha(config), size: config.length })).equals(config));

  const chunks: Buffer[] = [];
  for await (const chunk of client.getBlob('hutch/client-test', { digest: sha(layer), size: layer.length })) chunks.push(chunk as Buffer);
  t.true(Buffer.concat(chunks).equals(layer));

  const resumed: Buffer[] = [];
  const prefix = createHash('sha256').update(layer.subarray(0, 1_000_000));
  for await (const chunk of client.getBlob('hutch/client-test', { digest: sha(layer), size: layer.length }, { resumeFrom: { offset: 1_000_000, hash: prefix } })) resumed.push(chunk as Buffer);
  t.true(Buffer.concat(resumed).equals(layer.subarray(1_000_000)), 'the real registry honours Range and the 206 is accepted');

  const err = await t.throwsAsync(client.getManifest('hutch/client-test', 'absent'), { instanceOf: RegistryError });
  t.is(err.status, 404);
  t.regex(err.message, /MANIFEST_UNKNOWN/);
});

test('wrong credentials against the real registry are a clear 401', async (t) => {
  const client = new RegistryClient({ registry: registry.host, credentials: { username: 'hutch', password: 'wrong' } });
  t.teardown(() => client.close());
  const err = await t.throwsAsync(client.getManifest('hutch/client-test', 'v1'), { instanceOf: RegistryError });
  t.is(err.status, 401);
  t.regex(err.message, /401 Unauthorized/);
});
