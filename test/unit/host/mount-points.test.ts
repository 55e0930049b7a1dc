import test from 'ava';
import { mountPointsBelow } from '../../../src/host/mount-points.js';

const mountinfo = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '30 22 0:25 / /tmp/store/tmp/rm-a rw shared:2 - tmpfs tmpfs rw',
  '31 22 0:26 /x /tmp/store/tmp/rm-a/upper/with\\040space rw - tmpfs tmpfs rw',
  '32 22 0:27 / /tmp/store/tmp/rm-ab rw - tmpfs tmpfs rw',
  '',
].join('\n');

test('mount points at a directory or below it, with the kernel\'s escapes decoded', (t) => {
  t.deepEqual(mountPointsBelow('/tmp/store/tmp/rm-a', mountinfo), ['/tmp/store/tmp/rm-a', '/tmp/store/tmp/rm-a/upper/with space'], 'rm-ab only shares a prefix');
  t.deepEqual(mountPointsBelow('/tmp/store/tmp/rm-c', mountinfo), []);
  t.true(mountPointsBelow('/', mountinfo).length === 4);
});

test('this process\'s own mount table lists /proc', (t) => {
  t.deepEqual(mountPointsBelow('/proc').slice(0, 1), ['/proc']);
});
