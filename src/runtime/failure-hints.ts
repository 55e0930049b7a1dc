// When hutch-runtime fails (exit 125) its own message names the syscall and
// errno; this adds what the host is doing wrong when the cause is a known
// one, so the user learns the fix rather than just the errno.
import { readUsernsSysctls, type UsernsSysctls } from '../host/kernel.js';
import { readSubids, type SubidRange } from '../host/subids.js';
import { loginName } from '../host/user.js';
import { ROOTFS_MODE_ENV, ROOTFS_MODES, type RootfsChoice } from '../host/rootfs-mode.js';

/** Host facts that explain a failed container start. */
export interface FailureFacts {
  sysctls: UsernsSysctls;
  subuidRanges: readonly SubidRange[];
  rootless: boolean;
  /** How the container's root was to be built. */
  rootfs?: RootfsChoice;
}

/** The hints that apply, most likely cause first. */
export function failureHints(facts: FailureFacts): string[] {
  const hints: string[] = [];
  const { sysctls } = facts;
  if (sysctls.apparmorRestrictUnprivilegedUserns === 1) {
    hints.push('AppArmor restricts unprivileged user namespaces on this host (kernel.apparmor_restrict_unprivileged_userns=1); `hutch doctor` shows the profile that allows hutch, or run `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`');
  }
  if (sysctls.unprivilegedUsernsClone === 0) {
    hints.push('unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0): run `sudo sysctl -w kernel.unprivileged_userns_clone=1` (see `hutch doctor`)');
  }
  if (sysctls.maxUserNamespaces === 0) {
    hints.push('user namespaces are disabled (user.max_user_namespaces=0): run `sudo sysctl -w user.max_user_namespaces=15000` (see `hutch doctor`)');
  }
  if (facts.rootfs) {
    const others = ROOTFS_MODES.filter((m) => m !== facts.rootfs!.mode).map((m) => `${ROOTFS_MODE_ENV}=${m}`).join(' or ');
    hints.push(`the root filesystem was to be built with ${facts.rootfs.mode} (${facts.rootfs.reason}); if the error is about mounting it, ${others} selects another way (\`hutch info\` shows what works here)`);
  }
  if (facts.rootless && facts.subuidRanges.length === 0) {
    hints.push('you have no subordinate id range in /etc/subuid, so only container root is mapped; `hutch doctor` prints the `usermod --add-subuids` line to fix it');
  }
  return hints;
}

/** Reads the facts and returns the hints for a failed start. */
export async function hintsForFailedStart(rootfs?: RootfsChoice): Promise<string[]> {
  const uid = process.getuid!();
  // A uid without a passwd entry (name null) can still own ranges by number.
  const [sysctls, subuid] = await Promise.all([readUsernsSysctls(), readSubids('/etc/subuid', { name: loginName(), uid })]);
  return failureHints({ sysctls, subuidRanges: subuid.report.ranges, rootless: uid !== 0, ...(rootfs ? { rootfs } : {}) });
}
