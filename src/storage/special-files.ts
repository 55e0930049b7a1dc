// Creating the two special inode types a layer needs and Node's fs cannot
// make: overlay whiteouts (character device 0/0) and FIFOs, through the addon.
// This only ever happens inside the user namespace the apply worker runs in
// (or as real root in tests): since Linux 5.8 vfs_mknod lets an unprivileged
// caller create the 0/0 whiteout device, every other device stays forbidden.
import { loadNative } from '../native/index.js';

/** Creates an overlayfs whiteout (character device 0/0, mode 0) at `path`, which must not exist. */
export function makeWhiteout(path: string): void {
  loadNative().makeWhiteout(path);
}

/** Creates a FIFO at `path`, which must not exist; the caller sets owner and mode afterwards. */
export function makeFifo(path: string): void {
  loadNative().makeFifo(path);
}
