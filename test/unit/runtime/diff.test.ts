import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { changesJson, containerChanges } from '../../../src/runtime/diff.js';

test('whiteouts are D, paths in the layers C, new paths A (and everything below them)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hutch-diff-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const lower = join(dir, 'lower');
  const upper = join(dir, 'upper');
  await mkdir(join(lower, 'etc'), { recursive: true });
  await writeFile(join(lower, 'etc', 'motd'), 'm');
  await writeFile(join(lower, 'etc', 'hosts'), 'h');
  await mkdir(join(upper, 'etc'), { recursive: true });
  await writeFile(join(upper, 'etc', 'hosts'), 'changed');
  await mkdir(join(upper, 'new', 'sub'), { recursive: true });
  await writeFile(join(upper, 'new', 'sub', 'f'), 'f');
  // An overlay whiteout: a character device 0/0 (Linux >= 5.8 lets anyone create exactly this one).
  const whiteout = spawnSync('mknod', [join(upper, 'etc', 'motd'), 'c', '0', '0']).status === 0;
  if (!whiteout) t.log('cannot create a 0/0 character device here; whiteout case skipped');
  const changes = containerChanges(upper, [lower], { isOpaque: () => false });
  const lines = changes.map((c) => `${c.kind} ${c.path}`);
  t.true(lines.includes('C /etc'));
  t.true(lines.includes('C /etc/hosts'));
  t.true(lines.includes('A /new'));
  t.true(lines.includes('A /new/sub/f'));
  if (whiteout) t.true(lines.includes('D /etc/motd'));
  t.false(lines.includes('C /etc/motd'));
  t.deepEqual(changesJson([{ kind: 'D', path: '/x' }, { kind: 'A', path: '/y' }]), { changed: [], added: ['/y'], deleted: ['/x'] });
});
