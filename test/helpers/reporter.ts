// The static C reporter (examples/isolation/reporter.c, also the README's example image): builds it on demand and
// gives its JSON reports a type. Tests copy it into images to see a container
// from the inside.
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const SOURCE = fileURLToPath(new URL('../../examples/isolation/reporter.c', import.meta.url));
const BIN_DIR = fileURLToPath(new URL('../fixtures/bin/', import.meta.url));
const BINARY = `${BIN_DIR}reporter`;

/** The capability sets of /proc/self/status, as hex masks. */
export interface ReporterCaps {
  inh: string;
  prm: string;
  eff: string;
  bnd: string;
  amb: string;
}

/** A mount from /proc/self/mountinfo (paths keep the kernel's octal escapes, e.g. `\040`). */
export interface ReporterMount {
  root: string;
  mountpoint: string;
  options: string;
  fstype: string;
  source: string;
  super_options: string;
}

/** The output of `reporter all`. */
export interface ReporterReport {
  pid: number;
  ppid: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  groups: number[];
  uid_map: string | null;
  gid_map: string | null;
  setgroups: string | null;
  hostname: string;
  caps: ReporterCaps;
  no_new_privs: number;
  /** The Seccomp line of /proc/self/status: "0" none, "1" strict, "2" filter. */
  seccomp: string | null;
  NoNewPrivs: string | null;
  fds: { fd: number; target: string }[];
  mounts: ReporterMount[];
  cwd: string | null;
  env: string[];
}

/** The output of the probes (`syscall`, `write`, and failed `ls`/`cat`); errno is null on success. */
export interface ReporterProbe {
  syscall?: string;
  path?: string;
  result: number;
  errno: string | null;
}

/** Capability names by bit number (linux/capability.h). */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** The sorted capability names set in a hex mask from /proc/self/status; unknown bits appear as `CAP_<n>`. */
export function capabilityNames(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask}`);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(CAPABILITY_NAMES[bit] ?? `CAP_${bit}`);
  }
  return names.sort();
}

/** Path of the built reporter, compiling it with `cc -static` when missing or older than its source. */
export async function reporterBinary(): Promise<string> {
  const source = await stat(SOURCE);
  const built = await stat(BINARY).catch(() => null);
  if (built !== null && built.mtimeMs >= source.mtimeMs) return BINARY;
  await mkdir(BIN_DIR, { recursive: true, mode: 0o755 });
  // Parallel test workers may build at once: each compiles to its own file and renames it into place.
  const temporary = `${BINARY}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  const result = await execa('cc', ['-static', '-O2', '-Wall', '-Wextra', '-o', temporary, SOURCE], { reject: false });
  if (result.failed) {
    await rm(temporary, { force: true });
    throw new Error(`cannot build ${SOURCE} with \`cc -static\` (${result.shortMessage}); install a C compiler and the static libc: apt-get install build-essential libc6-dev\n${result.stderr}`);
  }
  await rename(temporary, BINARY);
  return BINARY;
}

/** Parses one line of reporter output. */
export function parseReport<T = ReporterReport>(stdout: string): T {
  return JSON.parse(stdout) as T;
}
