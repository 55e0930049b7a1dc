import test from 'ava';
import { NotFoundError, UsageError } from '../../../src/errors.js';
import { parseGroup, parsePasswd, resolveUser, type UserFiles } from '../../../src/spec/user.js';

const passwd = `root:x:0:0:root:/root:/bin/sh
# comment
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
broken:x:notanumber:0::/:/bin/sh
app:x:1000:1000:App:/home/app:/bin/sh
dup:x:1000:5::/first:/bin/sh
nohome:x:1001:1001:::/bin/sh
`;
const group = `root:x:0:
staff:x:50:app,other
wheel:x:10:app
app:x:1000:
tty:x:5:
`;
const files: UserFiles = { passwd, group };

const cases: [string | undefined, { uid: number; gid: number; additionalGids: number[]; home: string }][] = [
  [undefined, { uid: 0, gid: 0, additionalGids: [], home: '/root' }],
  ['root', { uid: 0, gid: 0, additionalGids: [], home: '/root' }],
  ['app', { uid: 1000, gid: 1000, additionalGids: [50, 10], home: '/home/app' }],
  ['1000', { uid: 1000, gid: 1000, additionalGids: [50, 10], home: '/home/app' }],
  ['app:staff', { uid: 1000, gid: 50, additionalGids: [], home: '/home/app' }],
  ['app:5', { uid: 1000, gid: 5, additionalGids: [], home: '/home/app' }],
  ['1000:wheel', { uid: 1000, gid: 10, additionalGids: [], home: '/home/app' }],
  ['1000:1000', { uid: 1000, gid: 1000, additionalGids: [], home: '/home/app' }],
  ['4242', { uid: 4242, gid: 0, additionalGids: [], home: '/' }],
  ['4242:777', { uid: 4242, gid: 777, additionalGids: [], home: '/' }],
  ['4242:staff', { uid: 4242, gid: 50, additionalGids: [], home: '/' }],
  ['nohome', { uid: 1001, gid: 1001, additionalGids: [], home: '/' }],
];
for (const [spec, expected] of cases) {
  test(`-u ${spec ?? '(none)'}`, (t) => {
    t.deepEqual(resolveUser(spec, files), expected);
  });
}

test('unknown user name is a clear error', (t) => {
  const err = t.throws(() => resolveUser('ghost', files), { instanceOf: NotFoundError });
  t.regex(err!.message, /unable to find user ghost/);
});

test('unknown group name is a clear error', (t) => {
  t.throws(() => resolveUser('app:ghosts', files), { instanceOf: NotFoundError, message: /unable to find group ghosts/ });
});

test('no /etc/passwd: numeric ids work, names do not', (t) => {
  const none: UserFiles = { passwd: null, group: null };
  t.deepEqual(resolveUser('123:456', none), { uid: 123, gid: 456, additionalGids: [], home: '/' });
  t.deepEqual(resolveUser(undefined, none), { uid: 0, gid: 0, additionalGids: [], home: '/' });
  t.throws(() => resolveUser('app', none), { instanceOf: NotFoundError });
  t.throws(() => resolveUser('1:staff', none), { instanceOf: NotFoundError });
});

test('out-of-range ids are refused', (t) => {
  t.throws(() => resolveUser('2147483648', files), { instanceOf: UsageError, message: /out of range/ });
  t.throws(() => resolveUser('0:99999999999', files), { instanceOf: UsageError });
});

test('a malformed passwd line cannot give uid 0 to its user', (t) => {
  t.throws(() => resolveUser('broken', files), { instanceOf: NotFoundError });
  t.deepEqual(parsePasswd('x:x:1:2:g:/h:/s\nbad\n').map((u) => u.name), ['x']);
  t.deepEqual(parseGroup('g:x:1:a,b\nbad:x:\n'), [{ name: 'g', gid: 1, members: ['a', 'b'] }]);
});
