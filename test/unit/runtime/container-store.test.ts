import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerPaths, forgetContainer, listContainers } from '../../../src/runtime/container-store.js';
import { openStore } from '../../../src/storage/store.js';

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);

function storeWith(t: { teardown: (fn: () => void) => void }, records: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'hutch-containers-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const [id, text] of Object.entries(records)) {
    mkdirSync(join(root, 'containers', id), { recursive: true });
    writeFileSync(join(root, 'containers', id, 'container.json'), text);
  }
  return root;
}

const record = (id: string) => JSON.stringify({ id, name: `c-${id[0]}`, image: { id: 'sha256:x', name: 'x' }, created: '2024-01-01T00:00:00Z', command: [], autoRemove: true, stopSignal: 'SIGTERM', labels: {}, createOptions: {} });

test('an empty container.json (an unsynced --rm record after a power cut) is not a container', (t) => {
  const root = storeWith(t, { [ID_A]: '', [ID_B]: record(ID_B) });
  t.deepEqual(
    listContainers(root).map((c) => c.id),
    [ID_B],
  );
});

test('containers list oldest first', (t) => {
  const at = (id: string, created: string) => JSON.stringify({ ...(JSON.parse(record(id)) as object), created });
  const root = storeWith(t, { [ID_A]: at(ID_A, '2024-01-01T00:00:10.500Z'), [ID_B]: at(ID_B, '2024-01-01T00:00:09.900Z') });
  t.deepEqual(
    listContainers(root).map((c) => c.id),
    [ID_B, ID_A],
  );
});

test('a container.json with broken JSON is still reported as corrupt', (t) => {
  const root = storeWith(t, { [ID_A]: '{"id":' });
  t.throws(() => listContainers(root), { message: /is not valid JSON/ });
});

async function openedStore(t: { teardown: (fn: () => void | Promise<void>) => void }) {
  const root = storeWith(t, {});
  const store = await openStore(root, { plan: { mode: 'direct' } });
  t.teardown(() => store.close());
  return store;
}

test('forgetContainer: a directory --remove-on-exit already deleted needs nothing more', async (t) => {
  const store = await openedStore(t);
  await t.notThrowsAsync(forgetContainer(store, ID_A));
});

test('forgetContainer: an empty directory left behind is removed', async (t) => {
  const store = await openedStore(t);
  const { dir } = containerPaths(store.root, ID_A);
  mkdirSync(dir, { recursive: true });
  await forgetContainer(store, ID_A);
  t.false(existsSync(dir));
});

test('forgetContainer: a container the runtime did not remove (it failed before the container ran) is removed in full', async (t) => {
  const store = await openedStore(t);
  const { dir, upper } = containerPaths(store.root, ID_A);
  mkdirSync(join(upper, 'etc'), { recursive: true });
  writeFileSync(join(dir, 'container.json'), record(ID_A));
  writeFileSync(join(upper, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  await forgetContainer(store, ID_A);
  t.false(existsSync(dir));
  t.deepEqual(listContainers(store.root), []);
  t.deepEqual(readdirSync(join(store.root, 'tmp')).filter((name) => name.startsWith('rm-')), []);
});
