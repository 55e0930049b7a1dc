import test from 'ava';
import { applyChanges } from '../../../src/image/import-changes.js';
import { UsageError } from '../../../src/errors.js';

const base = { Env: ['PATH=/bin'] };

test('CMD and ENTRYPOINT accept JSON and shell forms', (t) => {
  t.deepEqual(applyChanges(base, ['CMD ["/report", "all"]']).Cmd, ['/report', 'all']);
  t.deepEqual(applyChanges(base, ['ENTRYPOINT echo hi']).Entrypoint, ['/bin/sh', '-c', 'echo hi']);
});

test('ENV replaces an existing key, LABEL merges, EXPOSE defaults to tcp', (t) => {
  const c = applyChanges(base, ['ENV PATH=/usr/bin A="x y"', 'LABEL a=1', 'LABEL b=2', 'EXPOSE 80 53/udp']);
  t.deepEqual(c.Env, ['PATH=/usr/bin', 'A=x y']);
  t.deepEqual(c.Labels, { a: '1', b: '2' });
  t.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
});

test('WORKDIR, USER, STOPSIGNAL', (t) => {
  const c = applyChanges(base, ['WORKDIR /work', 'USER 1000:1000', 'STOPSIGNAL SIGINT']);
  t.is(c.WorkingDir, '/work');
  t.is(c.User, '1000:1000');
  t.is(c.StopSignal, 'SIGINT');
});

test('bad instructions are usage errors', (t) => {
  for (const bad of ['RUN make', 'CMD', 'CMD [1,2]', 'WORKDIR rel', 'EXPOSE http', 'nonsense']) {
    t.throws(() => applyChanges(base, [bad]), { instanceOf: UsageError }, bad);
  }
});
