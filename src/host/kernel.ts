// Kernel facts: release, machine, and the sysctls that switch unprivileged
// user namespaces off. Each sysctl may be absent: unprivileged_userns_clone
// is a Debian/Ubuntu patch, apparmor_restrict_unprivileged_userns exists
// only on Ubuntu 23.10+ kernels.
import { readFile } from 'node:fs/promises';
import { arch, machine } from 'node:os';
import { kernelRelease } from './kernel-release.js';

/** The sysctls that gate unprivileged user namespaces; null = not present on this kernel. */
export interface UsernsSysctls {
  /** kernel.unprivileged_userns_clone (Debian/Ubuntu): 0 forbids unprivileged user namespaces. */
  unprivilegedUsernsClone: number | null;
  /** user.max_user_namespaces: 0 forbids creating any user namespace. */
  maxUserNamespaces: number | null;
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+): 1 strips capabilities inside them. */
  apparmorRestrictUnprivilegedUserns: number | null;
}

/** Kernel and CPU identification. */
export interface KernelReport {
  /** uname -r */
  release: string;
  /** uname -m, e.g. x86_64 */
  machine: string;
  /** OCI platform architecture (GOARCH names: amd64, arm64, ...). */
  arch: string;
}

// OCI image-spec platform.architecture uses Go's GOARCH values.
const GOARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };

/** Reads a numeric sysctl such as "user.max_user_namespaces"; null when absent or unreadable. */
export async function readSysctl(name: string, procSys = '/proc/sys'): Promise<number | null> {
  try {
    const value = Number.parseInt((await readFile(`${procSys}/${name.replaceAll('.', '/')}`, 'utf8')).trim(), 10);
    return Number.isNaN(value) ? null : value;
  } catch {
    return null;
  }
}

/** Reads the three user-namespace sysctls. */
export async function readUsernsSysctls(procSys = '/proc/sys'): Promise<UsernsSysctls> {
  const [unprivilegedUsernsClone, maxUserNamespaces, apparmorRestrictUnprivilegedUserns] = await Promise.all([
    readSysctl('kernel.unprivileged_userns_clone', procSys),
    readSysctl('user.max_user_namespaces', procSys),
    readSysctl('kernel.apparmor_restrict_unprivileged_userns', procSys),
  ]);
  return { unprivilegedUsernsClone, maxUserNamespaces, apparmorRestrictUnprivilegedUserns };
}

/** Kernel release, machine and OCI architecture of this host. */
export function kernelFacts(): KernelReport {
  return { release: kernelRelease(), machine: machine(), arch: GOARCH[arch()] ?? arch() };
}
