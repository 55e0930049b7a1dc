// Docker/podman-format seccomp profiles (includes/excludes by capability,
// architecture and kernel, archMap) translated to the runtime-spec's
// linux.seccomp for one container, following moby/profiles setupSeccomp.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidContentError, fromNodeError } from '../errors.js';
import type { OciSeccomp, OciSeccompArg, OciSeccompSyscall } from './oci-types.js';

/**
 * Annotation asking the native runtime for runc's "ENOSYS for newer
 * syscalls" stub (docs/run.md): for each architecture, syscall numbers above
 * the highest one named in linux.seccomp.syscalls return ENOSYS instead of the
 * default errno, so libc falls back from calls the profile predates.
 */
export const SECCOMP_ENOSYS_ANNOTATION = 'run.hutch.seccomp.enosys-newer';

/** Cap on a profile file's size. */
const PROFILE_MAX_BYTES = 4 * 1024 * 1024;

/** includes/excludes of a profile rule. */
export interface ProfileFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  minKernel?: string | null;
}

/** One rule of a Docker-format profile. */
export interface ProfileSyscall {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number | null;
  args?: OciSeccompArg[] | null;
  comment?: string;
  includes?: ProfileFilter | null;
  excludes?: ProfileFilter | null;
}

/** A Docker/podman-format seccomp profile. */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number | null;
  architectures?: string[] | null;
  archMap?: { architecture: string; subArchitectures: string[] | null }[] | null;
  flags?: string[] | null;
  syscalls?: ProfileSyscall[] | null;
}

/** What the translation depends on. */
export interface SeccompTarget {
  /** The container's bounding set (CAP_* names): capability-conditional rules test it. */
  bounding: readonly string[];
  /** Node's process.arch. */
  arch: string;
  /** uname release, e.g. "6.1.0-18-amd64", for minKernel. */
  kernelRelease: string;
}

const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'];
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

/** Node's process.arch → the Go/libseccomp arch names profiles use in includes/excludes. */
const NODE_TO_PROFILE_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  ia32: 'x86',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

/** Profile arch name → the SCMP_ARCH_* of the native architecture (moby nativeToSeccomp). */
const PROFILE_TO_SCMP: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  x86: 'SCMP_ARCH_X86',
  arm: 'SCMP_ARCH_ARM',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  s390x: 'SCMP_ARCH_S390X',
  riscv64: 'SCMP_ARCH_RISCV64',
  loong64: 'SCMP_ARCH_LOONGARCH64',
};

/** The default profile, src/spec/seccomp-default.json (found from both src/spec and dist/spec via the package root). */
export function defaultSeccompProfilePath(): string {
  return fileURLToPath(new URL('../../src/spec/seccomp-default.json', import.meta.url));
}

function bad(source: string, why: string): InvalidContentError {
  return new InvalidContentError(`seccomp profile \`${source}\`: ${why}`, { hint: 'the profile must be in Docker/podman JSON format' });
}

/** Parses and validates a profile's JSON text; `source` names it in errors. */
export function parseSeccompProfile(text: string, source: string): SeccompProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw bad(source, `invalid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(source, 'not a JSON object');
  const p = raw as SeccompProfile;
  if (typeof p.defaultAction !== 'string') throw bad(source, 'defaultAction is missing');
  if (p.defaultAction !== '' && !ACTIONS.includes(p.defaultAction)) throw bad(source, `unknown defaultAction \`${p.defaultAction}\``);
  if (p.architectures?.length && p.archMap?.length) throw bad(source, "both 'architectures' and 'archMap' are given; use one");
  if (p.syscalls != null && !Array.isArray(p.syscalls)) throw bad(source, 'syscalls must be an array');
  for (const [i, s] of (p.syscalls ?? []).entries()) {
    if (s.name && s.names?.length) throw bad(source, `syscalls[${i}]: both 'name' and 'names' are given; use one`);
    if (!ACTIONS.includes(s.action)) throw bad(source, `syscalls[${i}]: unknown or unsupported action \`${s.action}\``);
    for (const a of s.args ?? []) {
      if (!OPS.includes(a.op) || !Number.isInteger(a.index) || a.index < 0 || a.index > 5) throw bad(source, `syscalls[${i}]: bad argument condition ${JSON.stringify(a)}`);
    }
    for (const f of [s.includes?.minKernel, s.excludes?.minKernel]) {
      if (f != null && !/^\d+\.\d+$/.test(f)) throw bad(source, `syscalls[${i}]: minKernel \`${f}\` is not MAJOR.MINOR`);
    }
  }
  return p;
}

/**
 * Reads and validates a profile file. The read is synchronous: for a file of
 * some kilobytes, fs/promises' open/stat/read/close round-trips through the
 * thread pool cost more than the read on the `run` path.
 */
export async function loadSeccompProfile(path: string): Promise<SeccompProfile> {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (err) {
    throw fromNodeError(err, path);
  }
  if (text.length > PROFILE_MAX_BYTES) throw bad(path, `larger than ${PROFILE_MAX_BYTES} bytes`);
  return parseSeccompProfile(text.toString('utf8'), path);
}

function kernelAtLeast(release: string, min: string): boolean {
  const [hm = 0, hn = 0] = (/^(\d+)\.(\d+)/.exec(release) ?? []).slice(1).map(Number);
  const [mm, mn] = min.split('.').map(Number) as [number, number];
  return hm > mm || (hm === mm && hn >= mn);
}

/** The profile's arch name for this machine (e.g. "amd64"). */
export function profileArch(nodeArch: string): string {
  return NODE_TO_PROFILE_ARCH[nodeArch] ?? nodeArch;
}

/**
 * linux.seccomp for the container, or undefined when the profile disables
 * seccomp (no defaultAction and no rules). Rules are kept when all their
 * `includes` hold (every cap in the bounding set, this arch, kernel >=
 * minKernel) and none of their `excludes` does (any cap, this arch, kernel >= minKernel).
 */
export function seccompToOci(profile: SeccompProfile, target: SeccompTarget): OciSeccomp | undefined {
  if (profile.defaultAction === '' && (profile.syscalls ?? []).length === 0) return undefined;
  const arch = profileArch(target.arch);
  const architectures = profile.architectures?.length ? [...profile.architectures] : [];
  const native = PROFILE_TO_SCMP[arch];
  const entry = native === undefined ? undefined : profile.archMap?.find((a) => a.architecture === native);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));

  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    const ex = rule.excludes;
    if (ex) {
      if (ex.arches?.includes(arch)) continue;
      if (ex.caps?.some((c) => target.bounding.includes(c))) continue;
      if (ex.minKernel && kernelAtLeast(target.kernelRelease, ex.minKernel)) continue;
    }
    const inc = rule.includes;
    if (inc) {
      if (inc.arches?.length && !inc.arches.includes(arch)) continue;
      if (inc.caps?.length && !inc.caps.every((c) => target.bounding.includes(c))) continue;
      if (inc.minKernel && !kernelAtLeast(target.kernelRelease, inc.minKernel)) continue;
    }
    const out: OciSeccompSyscall = { names: rule.name ? [rule.name] : [...(rule.names ?? [])], action: rule.action };
    if (rule.errnoRet != null) out.errnoRet = rule.errnoRet;
    if (rule.args?.length) out.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(out);
  }
  const result: OciSeccomp = { defaultAction: profile.defaultAction, architectures, syscalls };
  if (profile.defaultErrnoRet != null) result.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) result.flags = [...profile.flags];
  return result;
}

/**
 * Whether the native runtime should add the ENOSYS stub for this filter:
 * as in runc, not for a permissive default, nor when the default errno is already ENOSYS.
 */
export function wantsEnosysStub(seccomp: OciSeccomp): boolean {
  const ENOSYS = 38;
  // A tracer handles future syscalls itself, so TRACE counts as permissive (runc isAllowAction).
  if (['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(seccomp.defaultAction)) return false;
  return seccomp.defaultErrnoRet !== ENOSYS;
}
