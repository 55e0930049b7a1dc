// Child process for the rootless store test (run as hutch-test): applies a
// layer through the user namespace, reports the host owner of a file the tar
// gives uid 1000, then prunes the unreferenced layer (removal inside the namespace).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openStore } from '../../../src/storage/store.js';

const [root, chainId, diffId, digest, blobBase64] = process.argv.slice(2) as [string, string, string, string, string];
const blob = Buffer.from(blobBase64, 'base64');
const store = await openStore(root);
await store.applyLayer({ chainId, diffIdExpected: diffId, digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', compressedSize: blob.length, source: Readable.from([blob]), lowerChainIds: [] });
// home/user is 0700 and owned by a subordinate id: the user alone cannot look inside, only at it.
const st = statSync(join(store.layerDiffPath(chainId), 'home', 'user'));
const { removedLayers } = await store.prune();
await store.close();
process.stdout.write(`${JSON.stringify({ uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, removedLayers })}\n`);
