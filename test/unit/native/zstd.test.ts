import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SystemError } from '../../../src/errors.js';
import { loadNative } from '../../../src/native/index.js';
import { createZstdDecompressStream } from '../../../src/native/zstd.js';

const native = loadNative();

// ava's deepEqual is far too slow on megabytes; digests compare the same thing.
function digest(buffer: Buffer): string {
  return `${buffer.length}:${createHash('sha256').update(buffer).digest('hex')}`;
}

function zstd(input: Buffer, ...args: string[]): Buffer {
  return execFileSync('zstd', ['-q', '-c', ...args], { input, maxBuffer: 1 << 30 });
}

// Compressible but not trivial: repeated random lines.
function sample(size: number): Buffer {
  const line = randomBytes(48).toString('base64');
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 97) out.write(`${i}:${line}\n`, i);
  return out;
}

function decodeAll(input: Buffer, chunkSize: number): Buffer {
  const decoder = native.createZstdDecompressor();
  const parts: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) {
    let chunk = input.subarray(i, i + chunkSize);
    for (;;) {
      const out = decoder.push(chunk);
      if (out.length === 0) break;
      parts.push(...out);
      chunk = Buffer.alloc(0);
    }
  }
  decoder.end();
  return Buffer.concat(parts);
}

async function viaStream(input: Buffer, chunkSize = 65536): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) chunks.push(input.subarray(i, i + chunkSize));
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    createZstdDecompressStream(),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        parts.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}

test('libzstd is available on this host', (t) => {
  t.true(native.zstdAvailable());
});

// Node >= 22.15 exports its own zstd's ZSTD_* symbols. libzstd calls its own
// exported functions through the PLT, so loaded plainly it would run parts of
// Node's zstd (another version, another ZSTD_DCtx layout) on its own contexts.
test('libzstd binds its calls to itself, never to the ZSTD_ symbols of the Node executable', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-zstd-bindings-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const frame = zstd(sample(100_000)).toString('base64');
  const script = `const native = require(${JSON.stringify(fileURLToPath(new URL('../../../build/Release/hutch.node', import.meta.url)))}); const d = native.createZstdDecompressor({}); d.push(Buffer.from('${frame}', 'base64')); d.end();`;
  execFileSync(process.execPath, ['-e', script], { env: { ...process.env, LD_DEBUG: 'bindings', LD_DEBUG_OUTPUT: join(dir, 'ld') } });
  const bindings = readdirSync(dir).flatMap((name) => readFileSync(join(dir, name), 'utf8').split('\n'));
  const fromLibzstd = bindings.flatMap((line) => {
    const match = /binding file (\S*libzstd\S*) \[\d+\] to (\S+) \[\d+\]: normal symbol `(ZSTD_\w+)'/.exec(line);
    return match ? [{ to: match[2]!, symbol: match[3]! }] : [];
  });
  t.true(fromLibzstd.length > 0, 'the dynamic linker reported no binding of libzstd: the check saw nothing');
  t.deepEqual(fromLibzstd.filter(({ to }) => !/libzstd/.test(to)).map(({ symbol, to }) => `${symbol} -> ${to}`), []);
});

test('decompresses zstd CLI output fed in chunks of any size', (t) => {
  const data = sample(3_000_000);
  const compressed = zstd(data);
  for (const size of [7, 4096, compressed.length]) t.is(digest(decodeAll(compressed, size)), digest(data), `chunk size ${size}`);
  const small = sample(20_000);
  t.is(digest(decodeAll(zstd(small), 1)), digest(small));
});

test('concatenated frames decompress to the concatenated content', (t) => {
  const a = sample(500_000);
  const b = randomBytes(200_000);
  const multi = Buffer.concat([zstd(a), zstd(b, '-19'), zstd(Buffer.from('tail'))]);
  t.is(digest(decodeAll(multi, 10_000)), digest(Buffer.concat([a, b, Buffer.from('tail')])));
});

test('a truncated stream throws at end()', (t) => {
  const compressed = zstd(sample(1_000_000));
  const err = t.throws(() => decodeAll(compressed.subarray(0, compressed.length - 10), 4096), { instanceOf: SystemError });
  t.is(err?.code, 'EBADMSG');
  t.is(err?.syscall, 'zstd decompress');
  t.regex(err?.message ?? '', /truncated/);
  const headerOnly = t.throws(() => decodeAll(compressed.subarray(0, 6), 4096), { instanceOf: SystemError });
  t.is(headerOnly?.code, 'EBADMSG');
});

test('empty input and garbage are refused', (t) => {
  t.throws(() => native.createZstdDecompressor().end(), { instanceOf: SystemError, code: 'EBADMSG' });
  const err = t.throws(() => decodeAll(Buffer.from('this is not zstd at all'), 100), { instanceOf: SystemError });
  t.is(err?.code, 'EBADMSG');
  t.regex(err?.message ?? '', /^zstd decompress: EBADMSG \(corrupt zstd data: /);
});

test('corrupted content fails its checksum', (t) => {
  const compressed = Buffer.from(zstd(randomBytes(100_000)));
  compressed[compressed.length >> 1] ^= 0xff;
  t.throws(() => decodeAll(compressed, 8192), { instanceOf: SystemError, code: 'EBADMSG' });
});

test('a frame with a window above 2^27 is refused with EFBIG', (t) => {
  const big = zstd(sample(10_000), '--long=28', '--no-content-size');
  const err = t.throws(() => decodeAll(big, 4096), { instanceOf: SystemError });
  t.is(err?.code, 'EFBIG');
  t.regex(err?.message ?? '', /2\^27/);
  const allowed = native.createZstdDecompressor({ windowLogMax: 28 });
  t.true(allowed.push(big).length > 0);
  t.throws(() => native.createZstdDecompressor({ windowLogMax: 40 }), { instanceOf: SystemError, code: 'EINVAL' });
});

test('push() output is bounded per call whatever the compression ratio', (t) => {
  const zeros = Buffer.alloc(64 << 20);
  const compressed = zstd(zeros);
  t.true(compressed.length < 64 << 10);
  const decoder = native.createZstdDecompressor();
  let total = 0;
  let calls = 0;
  let input = compressed;
  for (;;) {
    const out = decoder.push(input);
    if (out.length === 0) break;
    input = Buffer.alloc(0);
    const bytes = out.reduce((n, b) => n + b.length, 0);
    t.true(bytes <= (1 << 20) + (256 << 10), `one push returned ${bytes} bytes`);
    total += bytes;
    calls++;
  }
  decoder.end();
  t.is(total, zeros.length);
  t.true(calls >= 64);
});

test('createZstdDecompressStream pipes CLI output, multiple frames included', async (t) => {
  const a = sample(2_000_000);
  const b = randomBytes(300_000);
  t.is(digest(await viaStream(zstd(a))), digest(a));
  t.is(digest(await viaStream(Buffer.concat([zstd(a), zstd(b)]), 1000)), digest(Buffer.concat([a, b])));
});

test('createZstdDecompressStream fails the pipeline on a truncated stream', async (t) => {
  const compressed = zstd(sample(1_000_000));
  await t.throwsAsync(viaStream(compressed.subarray(0, compressed.length - 3)));
});

test('createZstdDecompressStream holds back while the reader is paused', async (t) => {
  const stream = createZstdDecompressStream();
  stream.write(zstd(Buffer.alloc(256 << 20)));
  stream.end();
  await new Promise((r) => setTimeout(r, 200));
  t.true(stream.readableLength < 4 << 20, `buffered ${stream.readableLength} bytes`);
  let total = 0;
  for await (const chunk of stream) total += (chunk as Buffer).length;
  t.is(total, 256 << 20);
});
