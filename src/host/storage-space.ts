// Filesystem type and free space of the storage locations. The directories
// may not exist yet (first run), so the nearest existing ancestor is measured:
// it is where they will be created.
import { access, statfs, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname } from 'node:path';

/** One storage location and the filesystem it lives (or will live) on. */
export interface StorageLocationReport {
  path: string;
  exists: boolean;
  /** The directory that was measured: `path` itself or its nearest existing ancestor. */
  measured: string;
  /** Filesystem name from its magic, e.g. "ext4", "nfs"; "0x..." when unknown. */
  fsType: string;
  /** statfs f_type. */
  fsMagic: number;
  freeBytes: number;
  totalBytes: number;
  /** The measured directory is writable by this user. */
  writable: boolean;
}

// statfs(2) f_type values (linux/magic.h).
const FS_NAMES: Record<number, string> = {
  0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x858458f6: 'ramfs',
  0x6969: 'nfs', 0xff534d42: 'cifs', 0xfe534d42: 'smb2', 0x517b: 'smb', 0x65735546: 'fuse',
  0x794c7630: 'overlay', 0x2fc12fc1: 'zfs', 0xf2f52010: 'f2fs', 0x73717368: 'squashfs', 0x01021997: '9p',
  0xf15f: 'ecryptfs', 0x5346544e: 'ntfs', 0x4d44: 'vfat', 0x47504653: 'gpfs', 0x0bd00bd0: 'lustre',
  0x00c36400: 'ceph', 0x6a656a63: 'fakeowner', 0x3153464a: 'jfs', 0x52654973: 'reiserfs',
};

/** Filesystems that are mounted over the network, where overlay and xattrs break. */
export const NETWORK_FILESYSTEMS = new Set(['nfs', 'cifs', 'smb2', 'smb', 'ceph', 'gpfs', 'lustre', '9p']);

/** Human name for a statfs magic number. */
export function filesystemName(magic: number): string {
  return FS_NAMES[magic >>> 0] ?? `0x${(magic >>> 0).toString(16)}`;
}

async function nearestExisting(path: string): Promise<string> {
  let dir = path;
  for (;;) {
    try {
      await stat(dir);
      return dir;
    } catch {
      const parent = dirname(dir);
      if (parent === dir) return dir;
      dir = parent;
    }
  }
}

/** Measures one storage location. */
export async function inspectStorageLocation(path: string): Promise<StorageLocationReport> {
  const measured = await nearestExisting(path);
  const [fs, writable] = await Promise.all([
    statfs(measured),
    access(measured, constants.W_OK).then(() => true, () => false),
  ]);
  return {
    path,
    exists: measured === path,
    measured,
    fsType: filesystemName(fs.type),
    fsMagic: fs.type >>> 0,
    freeBytes: fs.bavail * fs.bsize,
    totalBytes: fs.blocks * fs.bsize,
    writable,
  };
}
