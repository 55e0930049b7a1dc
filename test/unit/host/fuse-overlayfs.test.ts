import test from 'ava';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectFuseOverlayfs } from '../../../src/host/fuse-overlayfs.js';

test('inspectFuseOverlayfs finds the program in PATH or takes the given one when executable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-fuse-'));
  const program = join(dir, 'fuse-overlayfs');
  writeFileSync(program, '#!/bin/sh\n');
  chmodSync(program, 0o755);
  const devFuse = join(dir, 'fuse');
  writeFileSync(devFuse, '');
  t.deepEqual(await inspectFuseOverlayfs({ PATH: dir }, devFuse), { path: program, devFuse: true });
  t.deepEqual(await inspectFuseOverlayfs({ PATH: '/nonexistent' }, join(dir, 'nofuse'), program), { path: program, devFuse: false });
  t.is((await inspectFuseOverlayfs({ PATH: dir }, devFuse, join(dir, 'missing'))).path, null);
});
