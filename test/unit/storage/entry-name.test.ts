import test from 'ava';
import { BadEntryName, classifyWhiteout, splitEntryName } from '../../../src/storage/entry-name.js';

test('names are split relative to the root; leading / and ./ are dropped', (t) => {
  t.deepEqual(splitEntryName('./usr/bin/env'), ['usr', 'bin', 'env']);
  t.deepEqual(splitEntryName('/etc//passwd'), ['etc', 'passwd']);
  t.deepEqual(splitEntryName('dir/'), ['dir']);
  t.deepEqual(splitEntryName('./'), []);
  t.deepEqual(splitEntryName('a/./b'), ['a', 'b']);
});

test('`..`, NUL bytes and overlong names or components are refused', (t) => {
  for (const name of ['..', '../x', 'a/../b', '/..', 'a/..', 'x\0y', 'a/'.repeat(2049), `${'n'.repeat(256)}`]) {
    t.throws(() => splitEntryName(name), { instanceOf: BadEntryName }, JSON.stringify(name.slice(0, 20)));
  }
  t.deepEqual(splitEntryName('...'), ['...']);
});

test('whiteout names are classified per image-spec layer.md', (t) => {
  t.deepEqual(classifyWhiteout('passwd'), { kind: 'none' });
  t.deepEqual(classifyWhiteout('.wh.passwd'), { kind: 'whiteout', target: 'passwd' });
  t.deepEqual(classifyWhiteout('.wh..hidden'), { kind: 'whiteout', target: '.hidden' });
  t.deepEqual(classifyWhiteout('.wh....'), { kind: 'whiteout', target: '...' });
  t.deepEqual(classifyWhiteout('.wh..wh..opq'), { kind: 'opaque' });
  t.deepEqual(classifyWhiteout('.wh..wh.plnk'), { kind: 'meta' });
  for (const bad of ['.wh.', '.wh..', '.wh...']) t.throws(() => classifyWhiteout(bad), { instanceOf: BadEntryName, message: /malformed whiteout/ });
});
