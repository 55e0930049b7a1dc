import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filesystemName, inspectStorageLocation, NETWORK_FILESYSTEMS } from '../../../src/host/storage-space.js';

test('NFS is recognised as a network filesystem', (t) => {
  t.is(filesystemName(0x6969), 'nfs');
  t.true(NETWORK_FILESYSTEMS.has(filesystemName(0x6969)));
  t.false(NETWORK_FILESYSTEMS.has(filesystemName(0xef53)));
  t.is(filesystemName(0x12345678), '0x12345678');
});

test('a location that does not exist yet is measured at its nearest existing ancestor', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'hutch-storage-'));
  const report = await inspectStorageLocation(join(base, 'a', 'b', 'hutch'));
  t.false(report.exists);
  t.is(report.measured, base);
  t.true(report.totalBytes > 0);
  t.true(report.writable);
});

test('an existing location is measured itself', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'hutch-storage-'));
  const report = await inspectStorageLocation(base);
  t.true(report.exists);
  t.is(report.measured, base);
});
