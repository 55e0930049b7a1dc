// Child process for the kill -9 test: starts applying a layer whose stream
// never ends, reports when the staging dir has content, then waits to be killed.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openStore } from '../../../src/storage/store.js';

const [root, chainId, digest, payloadFile] = process.argv.slice(2) as [string, string, string, string];
const store = await openStore(root, { plan: { mode: 'direct' } });
const source = new PassThrough();
source.write(readFileSync(payloadFile));
void store.applyLayer({ chainId, diffIdExpected: chainId, digest, mediaType: 'application/vnd.oci.image.layer.v1.tar', compressedSize: 1, source, lowerChainIds: [] }).catch(() => undefined);
const timer = setInterval(() => {
  for (const proc of readdirSync(join(root, 'tmp'))) {
    const staged = join(root, 'tmp', proc, `layer-${chainId.slice(7)}`, 'diff');
    if (existsSync(staged) && readdirSync(staged).length > 0) {
      clearInterval(timer);
      process.stdout.write('staging\n');
    }
  }
}, 20);
