// The OCI runtime command line (runc's verbs) as the test user, against a
// throwaway state directory and a busybox bundle. Which executable speaks it
// is decided here alone: `hutch runtime` of the installed CLI, or the native
// build/Release/hutch-runtime directly (HUTCH_E2E_OCI_VIA=native), so the
// same tests check both.
import { copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { installedHutch } from './installed-cli.js';
import { makeTestUserDir, runAsTestUser, switchesUser, testUser, type RunResult } from './test-user.js';

/** The runtime-spec state JSON (runtime.md "State"). */
export interface OciState {
  ociVersion: string;
  id: string;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  pid?: number;
  bundle: string;
  /** The container's own cgroup, when the runtime made one. */
  cgroupDir?: string;
  annotations?: Record<string, string>;
}

/** A bundle (config.json + busybox rootfs) and a state root, both owned by the test user. */
export interface OciBundle {
  /** The bundle directory (holds config.json and rootfs/). */
  dir: string;
  /** The runtime's --root. */
  root: string;
  /** A host directory bound at /out in the container (rw), for markers and hook output. */
  out: string;
  /** Removes everything. */
  remove(): Promise<void>;
}

const NATIVE = fileURLToPath(new URL('../../build/Release/hutch-runtime', import.meta.url));
const VIA_NATIVE = process.env.HUTCH_E2E_OCI_VIA === 'native';
const APPLETS = ['sh', 'cat', 'ls', 'id', 'echo', 'touch', 'sleep', 'true', 'false', 'hostname', 'ps', 'test', 'kill'];

/**
 * Runs `RUNTIME --root ROOT ...args` as the test user, its output captured
 * through pipes; `under` is a command line the runtime runs under (strace).
 */
export async function ociRuntime(root: string, args: readonly string[], options: { cwd?: string; timeout?: number; cgroup?: string; under?: readonly string[] } = {}): Promise<RunResult> {
  const [command, prefix] = await runtimeCommand();
  const { under = [], ...runOptions } = options;
  const argv = [...under, command, ...prefix, '--root', root, ...args];
  return runAsTestUser(argv[0]!, argv.slice(1), { timeout: 60_000, ...runOptions });
}

/**
 * Runs a verb whose container inherits the runtime's stdio (`create`, `run`):
 * captured through files, since a pipe would stay open for as long as the
 * container lives. Returns the runtime's result with the files' contents.
 */
export async function ociRuntimeToFiles(bundle: OciBundle, args: readonly string[], name: string, options: { cgroup?: string } = {}): Promise<RunResult> {
  const [command, prefix] = await runtimeCommand();
  const stdout = join(bundle.out, `${name}.stdout`);
  const stderr = join(bundle.out, `${name}.stderr`);
  const result = await runAsTestUser('/bin/sh', ['-c', 'out="$1"; err="$2"; shift 2; exec "$@" >"$out" 2>"$err"', 'sh', stdout, stderr, command, ...prefix, '--root', bundle.root, ...args], { cwd: bundle.dir, timeout: 60_000, ...options });
  return { ...result, stdout: await readFile(stdout, 'utf8'), stderr: await readFile(stderr, 'utf8') };
}

/** `state ID` parsed; throws with the runtime's stderr when it fails. */
export async function ociState(bundle: OciBundle, id: string): Promise<OciState> {
  const result = await ociRuntime(bundle.root, ['state', id]);
  if (result.exitCode !== 0) throw new Error(`state ${id} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(result.stdout) as OciState;
}

/** Polls `state ID` until its status is `status` (bounded; throws with the last state otherwise). */
export async function waitForStatus(bundle: OciBundle, id: string, status: OciState['status']): Promise<OciState> {
  let last: OciState | undefined;
  for (let attempt = 0; attempt < 200; attempt++) {
    last = await ociState(bundle, id);
    if (last.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`container ${id} never became ${status}: ${JSON.stringify(last)}`);
}

/**
 * Makes a bundle: a busybox rootfs, config.json from `spec --rootless`
 * (terminal off, /out bound from the host), then `edit` applied to it.
 */
export async function makeOciBundle(edit: (config: Record<string, any>) => void = () => {}): Promise<OciBundle> {
  const base = await makeTestUserDir('hutch-e2e-oci-');
  const dir = join(base, 'bundle');
  const root = join(base, 'state');
  const out = join(base, 'out');
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'out']) await mkdir(join(rootfs, sub), { recursive: true });
  await mkdir(out);
  await copyFile('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const applet of APPLETS) await symlink('busybox', join(rootfs, 'bin', applet));
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  if (switchesUser()) await execa('chown', ['-R', `${testUser().uid}:${testUser().gid}`, base]);
  const bundle: OciBundle = { dir, root, out, remove: () => rm(base, { recursive: true, force: true }) };
  const spec = await ociRuntime(root, ['spec', '--rootless', '--bundle', dir]).catch(async (err: unknown) => {
    await bundle.remove();
    throw err;
  });
  if (spec.exitCode !== 0) {
    await bundle.remove();
    throw new Error(`spec --rootless exited ${spec.exitCode}: ${spec.stderr}`);
  }
  const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, any>;
  config.process.terminal = false;
  config.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  edit(config);
  await writeConfig(bundle, config);
  return bundle;
}

/** Replaces the bundle's config.json (owned by the test user). */
export async function writeConfig(bundle: OciBundle, config: unknown): Promise<void> {
  const path = join(bundle.dir, 'config.json');
  await writeFile(path, JSON.stringify(config, null, 2));
  if (switchesUser()) await execa('chown', [`${testUser().uid}:${testUser().gid}`, path]);
}

/** Whether a process with this pid exists (a zombie counts as gone). */
export async function processAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return false;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
}

async function runtimeCommand(): Promise<[string, string[]]> {
  return VIA_NATIVE ? [NATIVE, []] : [await installedHutch(), ['runtime']];
}

/** A bundle running `args` whose ids map like podman's (0 → the user, 1.. → the subordinate range, written by newuidmap/newgidmap), so the container can own files as other ids. */
export async function makeRangedOciBundle(args: string[]): Promise<OciBundle> {
  const user = testUser();
  return makeOciBundle((config) => {
    config.process.args = args;
    config.root.readonly = false;
    const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER'];
    config.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
    config.linux.uidMappings = [{ containerID: 0, hostID: user.uid, size: 1 }, { containerID: 1, hostID: user.subuid!.start, size: user.subuid!.count }];
    config.linux.gidMappings = [{ containerID: 0, hostID: user.gid, size: 1 }, { containerID: 1, hostID: user.subgid!.start, size: user.subgid!.count }];
  });
}
