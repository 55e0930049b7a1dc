// Who the benchmarks run commands as, and with what: the e2e harness's test
// user (hutch-test when this process is root, else the caller), a clean
// environment, and the hutch CLI built from this work tree.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { switchesUser, testUser } from '../test/helpers/test-user.js';
import type { TimedCommand } from './_measure.js';

const SAFE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The CLI under test: $HUTCH_BENCH_BIN (e.g. an installed `hutch`), else this tree's dist/cli/main.js run by this Node. */
export function hutchCommand(): string[] {
  if (process.env.HUTCH_BENCH_BIN) return [process.env.HUTCH_BENCH_BIN];
  const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: run \`npm run build:ts\` first (or set HUTCH_BENCH_BIN)`);
  return [process.execPath, main];
}

/** The environment benchmark commands get: that of a fresh login of the test user, plus `extra`. */
export function benchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const user = testUser();
  return { HOME: user.home, USER: user.name, LOGNAME: user.name, LANG: 'C.UTF-8', PATH: `${dirname(process.execPath)}:${SAFE_PATH}`, ...extra };
}

/**
 * A command run as the test user. As root that goes through setpriv, which
 * execs in place (no PAM fork); it adds the same ~1 ms to every command
 * timed, so differences and ratios are unaffected.
 */
export function asBenchUser(label: string, argv: readonly string[], env: NodeJS.ProcessEnv): TimedCommand {
  if (!switchesUser()) return { label, file: argv[0]!, args: argv.slice(1), env };
  const user = testUser();
  return { label, file: 'setpriv', args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...argv], env };
}
