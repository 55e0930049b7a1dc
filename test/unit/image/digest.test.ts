import test from 'ava';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidContentError } from '../../../src/errors.js';
import {
  assertDigest,
  chainIdOf,
  chainIds,
  DigestHasher,
  digestOf,
  digestToPathComponent,
  digestToRelativePath,
  isValidDigest,
  parseDigest,
  verifyBytes,
  verifyingStream,
} from '../../../src/image/digest.js';

const HEX = 'a'.repeat(64);
const GOOD = `sha256:${HEX}`;
const sha256 = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

test('parses sha256 and sha512 digests', (t) => {
  t.deepEqual(parseDigest(GOOD), { algorithm: 'sha256', hex: HEX });
  t.deepEqual(parseDigest(`sha512:${'0'.repeat(128)}`), { algorithm: 'sha512', hex: '0'.repeat(128) });
});

const bad: Array<[string, unknown, RegExp]> = [
  ['traversal', 'sha256:../../etc', /characters other than 0-9a-f/],
  ['traversal with valid length', `sha256:../${'a'.repeat(61)}`, /characters other than/],
  ['slash inside', `sha256:${'a'.repeat(32)}/${'a'.repeat(31)}`, /characters other than/],
  ['uppercase hex', `sha256:${'A'.repeat(64)}`, /lowercase/],
  ['too short', `sha256:${'a'.repeat(63)}`, /exactly 64 hex characters, this one has 63/],
  ['too long', `sha256:${'a'.repeat(65)}`, /exactly 64/],
  ['sha512 with sha256 length', `sha512:${HEX}`, /exactly 128/],
  ['unknown algorithm', `sha384:${'a'.repeat(96)}`, /not supported/],
  ['uppercase algorithm', `SHA256:${HEX}`, /not supported/],
  ['no algorithm', HEX, /no `algorithm:` prefix/],
  ['empty', '', /no `algorithm:` prefix/],
  ['trailing newline', `${GOOD}\n`, /characters other than/],
  ['NUL byte', `${GOOD.slice(0, -1)}\0`, /characters other than/],
  ['not a string', 42, /not a string/],
  ['null', null, /not a string/],
];

for (const [name, value, message] of bad) {
  test(`rejects bad digest: ${name}`, (t) => {
    const err = t.throws(() => parseDigest(value, 'layer digest'), { instanceOf: InvalidContentError });
    t.regex(err!.message, message);
    t.regex(err!.message, /invalid layer digest/);
    t.false(isValidDigest(value));
    t.throws(() => digestToPathComponent(value as string), { instanceOf: InvalidContentError });
  });
}

test('path helpers return only validated hex', (t) => {
  t.is(digestToPathComponent(GOOD), HEX);
  t.is(digestToRelativePath(GOOD), `sha256/${HEX}`);
  t.throws(() => digestToRelativePath('sha256:..'), { instanceOf: InvalidContentError });
  t.is(assertDigest(GOOD), GOOD);
});

test('digestOf hashes the raw bytes', (t) => {
  t.is(digestOf('hello'), sha256('hello'));
  t.is(digestOf(Buffer.from('hello'), 'sha512'), `sha512:${createHash('sha512').update('hello').digest('hex')}`);
});

test('DigestHasher counts bytes and matches digestOf', (t) => {
  const h = new DigestHasher();
  h.update(Buffer.from('hel'));
  h.update(Buffer.from('lo'));
  t.is(h.bytes, 5);
  t.is(h.digest(), digestOf('hello'));
});

test('verifyBytes accepts matching content and rejects mismatches', (t) => {
  const data = Buffer.from('{"a":1}');
  t.notThrows(() => verifyBytes(data, { digest: digestOf(data), size: data.length, what: 'manifest' }));
  t.throws(() => verifyBytes(data, { digest: digestOf('other'), what: 'manifest' }), { instanceOf: InvalidContentError, message: /digest mismatch/ });
  t.throws(() => verifyBytes(data, { digest: digestOf(data), size: 3, what: 'manifest' }), { instanceOf: InvalidContentError, message: /declares 3/ });
  t.throws(() => verifyBytes(data, { digest: 'sha256:../x', what: 'manifest' }), { instanceOf: InvalidContentError });
});

async function drain(chunks: Buffer[], expected: Parameters<typeof verifyingStream>[0]): Promise<number> {
  let seen = 0;
  await pipeline(Readable.from(chunks), verifyingStream(expected), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) seen += chunk.length;
  });
  return seen;
}

test('verifyingStream passes matching content through', async (t) => {
  const chunks = [Buffer.from('abc'), Buffer.from('def')];
  t.is(await drain(chunks, { digest: digestOf('abcdef'), size: 6, what: 'layer' }), 6);
});

test('verifyingStream aborts as soon as the size is exceeded', async (t) => {
  let produced = 0;
  async function* endless() {
    for (;;) {
      produced += 1;
      yield Buffer.alloc(1024);
      if (produced > 1000) throw new Error('stream was not aborted');
    }
  }
  const err = await t.throwsAsync(pipeline(endless(), verifyingStream({ digest: GOOD, size: 2048, what: 'layer x' }), async (s: AsyncIterable<Buffer>) => {
    for await (const _ of s) void _;
  }));
  t.true(err instanceof InvalidContentError);
  t.regex(err!.message, /more than the 2048 bytes/);
  t.true(produced < 10);
});

test('verifyingStream rejects truncated content and wrong digests', async (t) => {
  await t.throwsAsync(drain([Buffer.from('abc')], { digest: digestOf('abcdef'), size: 6, what: 'layer' }), { instanceOf: InvalidContentError, message: /got 3 bytes/ });
  await t.throwsAsync(drain([Buffer.from('abcdeX')], { digest: digestOf('abcdef'), size: 6, what: 'layer' }), { instanceOf: InvalidContentError, message: /digest mismatch/ });
});

test('chain IDs follow the image-spec formula', (t) => {
  const d1 = digestOf('layer1');
  const d2 = digestOf('layer2');
  const d3 = digestOf('layer3');
  const c2 = sha256(`${d1} ${d2}`);
  const c3 = sha256(`${c2} ${d3}`);
  t.deepEqual(chainIds([d1, d2, d3]), [d1, c2, c3]);
  t.is(chainIdOf([d1, d2, d3]), c3);
  t.is(chainIdOf([]), undefined);
});

test('chain IDs refuse invalid diff IDs', (t) => {
  t.throws(() => chainIds([digestOf('a'), 'sha256:../../etc/passwd']), { instanceOf: InvalidContentError, message: /diff_id #2/ });
});
