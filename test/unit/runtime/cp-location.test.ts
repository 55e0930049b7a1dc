import test from 'ava';
import { lastComponent, parseCpLocation } from '../../../src/runtime/cp-location.js';

test('CONTAINER:PATH is a container path, rooted whether or not it starts with /', (t) => {
  t.deepEqual(parseCpLocation('box:/etc/motd'), { kind: 'container', container: 'box', path: '/etc/motd' });
  t.deepEqual(parseCpLocation('box:etc/motd'), { kind: 'container', container: 'box', path: '/etc/motd' });
  t.deepEqual(parseCpLocation('box:'), { kind: 'container', container: 'box', path: '/' });
});

test('host paths with a colon after a slash, relative paths and - stay on the host', (t) => {
  t.deepEqual(parseCpLocation('/tmp/a:b'), { kind: 'host', path: '/tmp/a:b' });
  t.deepEqual(parseCpLocation('./a:b'), { kind: 'host', path: './a:b' });
  t.deepEqual(parseCpLocation('-'), { kind: 'host', path: '-' });
  t.deepEqual(parseCpLocation('file.txt'), { kind: 'host', path: 'file.txt' });
});

test('lastComponent ignores trailing slashes', (t) => {
  t.is(lastComponent('/data/tree/'), 'tree');
  t.is(lastComponent('/'), '/');
  t.is(lastComponent('name'), 'name');
});
