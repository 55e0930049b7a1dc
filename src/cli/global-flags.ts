// The options every hutch command accepts: declared on the yargs parser
// (main.ts), read by the argument splitter, the yargs-free parser of the hot
// commands (direct-argv.ts) and shell completion, so all four agree.
import type { Options } from 'yargs';
import { LOG_LEVELS } from '../log.js';

/** yargs definitions of the global options. */
export const globalFlags = {
  root: { type: 'string', describe: 'Storage root (images, layers, containers)', global: true },
  runroot: { type: 'string', describe: 'Runtime state directory', global: true },
  'log-level': { choices: LOG_LEVELS, default: 'warn' as const, describe: 'Log messages at this level and above', global: true },
  'storage-opt': { type: 'string', requiresArg: true, describe: 'Storage option KEY=VALUE: overlay.mount_program=PATH (fuse-overlayfs roots)', global: true },
} as const satisfies Record<string, Options>;

const GLOBAL_VALUE_FLAGS = new Set(Object.keys(globalFlags).map((name) => `--${name}`));

/** Where the command word is in argv: the first word that is not a global option's value (every global option takes one); -1 when there is none. */
export function indexOfCommandWord(argv: readonly string[]): number {
  return argv.findIndex((arg, i) => !arg.startsWith('-') && !GLOBAL_VALUE_FLAGS.has(argv[i - 1] ?? ''));
}
