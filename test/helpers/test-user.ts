// Who runs hutch in end-to-end tests: never root. As root (CI), the dedicated
// user `hutch-test` that .ci/run creates with subordinate id ranges; as anyone
// else, that user. Commands get a clean environment so the host's settings
// (XDG dirs, registries, credentials) never leak into a test.
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { chown, chmod, mkdtemp } from 'node:fs/promises';
import { constants, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { execa, type Options, type ResultPromise } from 'execa';

/** The identity commands run as. */
export interface TestUser {
  uid: number;
  gid: number;
  name: string;
  home: string;
  /** First subordinate uid range from /etc/subuid, or null when the user has none. */
  subuid: IdRange | null;
  subgid: IdRange | null;
}

/** A subordinate id range (start, count), as in /etc/subuid. */
export interface IdRange {
  start: number;
  count: number;
}

/** What a command run as the test user did; `exitCode` is 128+N when it died of signal N. */
export interface RunResult {
  exitCode: number;
  signal: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** Options for a command run as the test user. */
export interface RunOptions {
  /** Added to (and overriding) the clean environment. */
  env?: Record<string, string>;
  cwd?: string;
  input?: string | Uint8Array;
  /** Milliseconds before the command is killed with SIGKILL (default 60 s). */
  timeout?: number;
  /** Directory of a cgroup v2 cgroup the command starts in (moved there before the user switch). */
  cgroup?: string;
}

/** The name of the user .ci/run creates for rootless tests when the suite runs as root. */
export const TEST_USER_NAME = 'hutch-test';

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const ROOT_FIX = `as root: useradd --create-home ${TEST_USER_NAME} && usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${TEST_USER_NAME} (or run .ci/run, which does this)`;

let cachedUser: TestUser | undefined;
let runtimeDir: string | undefined;

/** The user e2e commands run as (hutch-test when this process is root, else the current user). */
export function testUser(): TestUser {
  if (cachedUser !== undefined) return cachedUser;
  const asRoot = process.getuid?.() === 0;
  const name = asRoot ? TEST_USER_NAME : userInfo().username;
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((f) => f[0] === name);
  let user: Omit<TestUser, 'subuid' | 'subgid'>;
  if (entry !== undefined) {
    user = { name, uid: Number(entry[2]), gid: Number(entry[3]), home: entry[5] ?? '/' };
  } else if (!asRoot) {
    const info = userInfo();
    user = { name, uid: info.uid, gid: info.gid, home: info.homedir };
  } else {
    throw new Error(`e2e tests run as root need the unprivileged user ${TEST_USER_NAME}, which does not exist; ${ROOT_FIX}`);
  }
  const subuid = subordinateRange('/etc/subuid', user.name, user.uid);
  const subgid = subordinateRange('/etc/subgid', user.name, user.uid);
  if (asRoot && (subuid === null || subgid === null)) {
    throw new Error(`${TEST_USER_NAME} has no subordinate uid/gid range in /etc/subuid or /etc/subgid; ${ROOT_FIX}`);
  }
  if (user.uid === 0) throw new Error('refusing to run e2e commands as uid 0: rootless behaviour would not be tested');
  cachedUser = { ...user, subuid, subgid };
  return cachedUser;
}

/** Whether commands switch identity (this process is root and runs them as the test user). */
export function switchesUser(): boolean {
  return process.getuid?.() === 0;
}

/** Starts a command as the test user and returns the running subprocess (for signal tests); it does not reject. */
export function spawnAsTestUser(command: string, args: readonly string[], options: RunOptions = {}): ResultPromise<Options & { reject: false }> {
  const user = testUser();
  const env: Record<string, string> = {
    HOME: user.home,
    USER: user.name,
    LOGNAME: user.name,
    PATH: `${dirname(process.execPath)}:${SAFE_PATH}`,
    LANG: 'C.UTF-8',
    XDG_RUNTIME_DIR: userRuntimeDir(),
    ...options.env,
  };
  const common = {
    reject: false,
    extendEnv: false,
    env,
    cwd: options.cwd ?? '/',
    timeout: options.timeout ?? 60_000,
    killSignal: 'SIGKILL',
    stripFinalNewline: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  } satisfies Options;
  // setpriv execs the command in place (unlike runuser/su, which fork for PAM), so signals sent to the
  // subprocess reach the command itself and its exit status is the command's.
  const argv = switchesUser() ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', command, ...args] : [command, ...args];
  // The shell moves itself into the cgroup (as root: the move needs write access above the test user's
  // delegation) and execs the rest, so the pid stays the command's.
  if (options.cgroup !== undefined) return execa('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', options.cgroup, ...argv], common);
  return execa(argv[0]!, argv.slice(1), common);
}

/** Runs a command as the test user to completion; never throws on a non-zero exit. */
export async function runAsTestUser(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await spawnAsTestUser(command, args, options);
  if (result.exitCode === undefined && result.signal === undefined && !result.timedOut) {
    throw new Error(`could not start ${command}: ${result.shortMessage}`);
  }
  return {
    exitCode: result.exitCode ?? 128 + (result.signal === undefined ? 0 : (signalNumberOf(result.signal) ?? 0)),
    signal: result.signal,
    timedOut: result.timedOut,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}

/** Creates a fresh directory (mode 0700) owned by the test user under the system temp dir. */
export async function makeTestUserDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const user = testUser();
  if (switchesUser()) await chown(dir, user.uid, user.gid);
  await chmod(dir, 0o700);
  return dir;
}

// One XDG_RUNTIME_DIR per test process, like a login session's /run/user/UID, removed at exit.
function userRuntimeDir(): string {
  if (runtimeDir !== undefined) return runtimeDir;
  const dir = mkdtempSync(join(tmpdir(), 'hutch-e2e-xdg-'));
  // mkdtemp creates it 0700 already; only the owner changes.
  if (switchesUser()) chownSync(dir, testUser().uid, testUser().gid);
  runtimeDir = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function subordinateRange(file: string, name: string, uid: number): IdRange | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if ((owner === name || owner === String(uid)) && Number(count) > 0) return { start: Number(start), count: Number(count) };
  }
  return null;
}

function signalNumberOf(name: string): number | undefined {
  return constants.signals[name as keyof typeof constants.signals];
}
