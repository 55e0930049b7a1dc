import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { formatIdMap, hostIdFor, planIdMapping } from '../../../src/storage/userns.js';

function subidFiles(t: { teardown(fn: () => void): void }, subuid: string, subgid = subuid) {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-subid-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'subuid'), subuid);
  writeFileSync(join(dir, 'subgid'), subgid);
  return { subuidFile: join(dir, 'subuid'), subgidFile: join(dir, 'subgid') };
}

test('container 0 maps to the user, 1.. to the subordinate ranges in order (podman)', async (t) => {
  const files = subidFiles(t, 'alice:100000:65536\nbob:200000:65536\n1000:300000:10\n');
  const plan = await planIdMapping({ uid: 1000, gid: 1000, userName: 'alice', ...files });
  t.deepEqual(plan, {
    mode: 'userns',
    singleId: false,
    uidMap: [
      { containerId: 0, hostId: 1000, size: 1 },
      { containerId: 1, hostId: 100000, size: 65536 },
      { containerId: 65537, hostId: 300000, size: 10 },
    ],
    gidMap: [
      { containerId: 0, hostId: 1000, size: 1 },
      { containerId: 1, hostId: 100000, size: 65536 },
      { containerId: 65537, hostId: 300000, size: 10 },
    ],
  });
  if (plan.mode !== 'userns') return;
  t.is(formatIdMap(plan.uidMap), '0:1000:1,1:100000:65536,65537:300000:10');
  t.is(hostIdFor(plan.uidMap, 1000), 100999);
  t.is(hostIdFor(plan.uidMap, 0), 1000);
  t.is(hostIdFor(plan.uidMap, 65540), 300003);
  t.is(hostIdFor(plan.uidMap, 65547), null);
});

test('without ranges a user gets single-id mode', async (t) => {
  const files = subidFiles(t, 'someone-else:100000:65536\n');
  const plan = await planIdMapping({ uid: 1000, gid: 1000, userName: 'alice', ...files });
  t.deepEqual(plan, { mode: 'userns', singleId: true, uidMap: [{ containerId: 0, hostId: 1000, size: 1 }], gidMap: [{ containerId: 0, hostId: 1000, size: 1 }] });
});

test('root never maps container 0 to host root: its own range, or direct application without one', async (t) => {
  const withRange = subidFiles(t, 'root:500000:65536\n');
  t.deepEqual(await planIdMapping({ uid: 0, gid: 0, userName: 'root', ...withRange }), {
    mode: 'userns',
    singleId: false,
    uidMap: [{ containerId: 0, hostId: 500000, size: 65536 }],
    gidMap: [{ containerId: 0, hostId: 500000, size: 65536 }],
  });
  const without = subidFiles(t, 'alice:100000:65536\n');
  t.deepEqual(await planIdMapping({ uid: 0, gid: 0, userName: 'root', ...without }), { mode: 'direct' });
});

const hasTestUser = spawnSync('id', ['-u', 'hutch-test']).stdout?.toString().trim() === '1001';

(hasTestUser && process.getuid?.() === 0 ? test : test.skip)('removeTree deletes files owned by subordinate ids from inside the user namespace', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hutch-rmtree-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  chownSync(root, 1001, 1001);
  const tree = join(root, 'layer');
  mkdirSync(join(tree, 'sub'), { recursive: true, mode: 0o700 });
  writeFileSync(join(tree, 'sub', 'f'), 'x');
  chownSync(join(tree, 'sub', 'f'), 100999, 100999);
  chownSync(join(tree, 'sub'), 100999, 100999);
  chownSync(tree, 1001, 1001);
  const asUser = spawnSync('runuser', ['-u', 'hutch-test', '--', 'rm', '-rf', tree]);
  t.not(asUser.status, 0, 'the user alone cannot delete it');
  const plan = await planIdMapping({ uid: 1001, gid: 1001, userName: 'hutch-test' });
  if (plan.mode !== 'userns') return t.fail('expected a user namespace plan');
  // removeTree runs as the calling user; run this test's call through a child as hutch-test.
  const script = `import { removeTree } from ${JSON.stringify(new URL('../../../src/storage/userns.ts', import.meta.url).href)};
await removeTree(${JSON.stringify(plan)}, ${JSON.stringify(tree)});`;
  const child = spawnSync('runuser', ['-u', 'hutch-test', '--', process.execPath, '--import', import.meta.resolve('tsx'), '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.is(child.status, 0, child.stderr);
  t.false(existsSync(tree));
});
