import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listContainers } from '../../../src/runtime/container-store.js';

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

test('a container.json with broken JSON is still reported as corrupt', (t) => {
  const root = storeWith(t, { [ID_A]: '{"id":' });
  t.throws(() => listContainers(root), { message: /is not valid JSON/ });
});
