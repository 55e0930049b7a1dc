import test from 'ava';
import { generateName, newContainerId, validateContainerName } from '../../../src/runtime/container-id.js';
import { UsageError } from '../../../src/errors.js';

test('IDs are 64 lowercase hex digits and differ', (t) => {
  const a = newContainerId();
  t.regex(a, /^[0-9a-f]{64}$/);
  t.not(a, newContainerId());
});

test('names follow podman rules', (t) => {
  t.is(validateContainerName('web-1.test_a'), 'web-1.test_a');
  for (const bad of ['', '-x', '.x', 'a b', 'a/b', 'é', 'a'.repeat(254), 'f'.repeat(64)]) {
    t.throws(() => validateContainerName(bad), { instanceOf: UsageError }, bad);
  }
});

test('generated names avoid taken ones', (t) => {
  const taken = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const name = generateName(taken);
    t.false(taken.has(name));
    t.notThrows(() => validateContainerName(name));
    taken.add(name);
  }
});
