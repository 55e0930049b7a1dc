// The image every benchmark runs: busybox-static alone in one uncompressed
// layer, with the directories a runtime mounts over, written as an OCI layout.
import { readFileSync } from 'node:fs';
import { buildImage, writeOciLayout, type LayerEntry } from '../test/helpers/image-builder.js';

const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'true', 'echo', 'cat', 'ls'];

/** Writes the busybox image as an OCI layout at `dir` (ref `latest`); the caller makes it readable to the test user. */
export async function writeBusyboxLayout(dir: string): Promise<void> {
  const entries: LayerEntry[] = [
    ...['bin', 'dev', 'etc', 'proc', 'sys', 'tmp'].map((path): LayerEntry => ({ type: 'dir', path, mode: path === 'tmp' ? 0o1777 : 0o755 })),
    { type: 'file', path: 'bin/busybox', content: readFileSync(BUSYBOX), mode: 0o755 },
    ...APPLETS.map((name): LayerEntry => ({ type: 'symlink', path: `bin/${name}`, target: 'busybox' })),
    { type: 'file', path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
    { type: 'file', path: 'etc/group', content: 'root:x:0:\n' },
  ];
  const image = await buildImage({ layers: [{ entries, compression: 'none' }], config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'] } });
  await writeOciLayout(dir, image);
}
