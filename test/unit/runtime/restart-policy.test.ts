import test from 'ava';
import { formatRestartPolicy, parseRestartPolicy } from '../../../src/runtime/restart-policy.js';
import { UsageError } from '../../../src/errors.js';

test('podman restart policies', (t) => {
  t.deepEqual(parseRestartPolicy(undefined), { name: 'no' });
  t.deepEqual(parseRestartPolicy('always'), { name: 'always' });
  t.deepEqual(parseRestartPolicy('unless-stopped'), { name: 'unless-stopped' });
  t.deepEqual(parseRestartPolicy('on-failure'), { name: 'on-failure' });
  t.deepEqual(parseRestartPolicy('on-failure:3'), { name: 'on-failure', maxRetries: 3 });
  t.is(formatRestartPolicy(parseRestartPolicy('on-failure:3')), 'on-failure:3');
});

test('invalid policies are refused', (t) => {
  for (const bad of ['sometimes', 'always:3', 'on-failure:x', 'on-failure:-1', 'on-failure:99999999999999999999']) {
    t.throws(() => parseRestartPolicy(bad), { instanceOf: UsageError }, bad);
  }
});
