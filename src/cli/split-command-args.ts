// `hutch run [OPTIONS] IMAGE [COMMAND [ARG...]]`: everything after IMAGE
// belongs to the container, flags included (`hutch run img ls -la`). yargs
// cannot stop parsing at a positional inside one subcommand, so the
// argument vector is split here: `--` is inserted after the first positional.
import { UsageError } from '../errors.js';

/** A command's flag names and aliases by kind: a boolean's next token is not its value. */
export interface CommandFlags {
  booleans: ReadonlySet<string>;
  values: ReadonlySet<string>;
}

function checkKnown(name: string, dash: string, flags: CommandFlags, command: string): void {
  if (!flags.booleans.has(name) && !flags.values.has(name)) {
    throw new UsageError(`unknown flag: ${dash}${name}`, { hint: `see \`hutch ${command} --help\`` });
  }
}

/**
 * Returns argv with `--` inserted after the first positional following
 * `commandIndex` (the command word). Options with a value (`-e K=V`,
 * `--name x`) are skipped with their value; `--x=y` is one token. A flag
 * the command does not have is an error here, as in podman: yargs would take
 * the image for its value and complain about a missing image instead.
 */
export function insertSeparatorAfterFirstPositional(argv: readonly string[], commandIndex: number, flags: CommandFlags): string[] {
  const command = argv[commandIndex]!;
  for (let i = commandIndex + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...argv];
    if (!arg.startsWith('-') || arg === '-') {
      return argv[i + 1] === '--' ? [...argv] : [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
    }
    const isLong = arg.startsWith('--');
    const name = arg.slice(isLong ? 2 : 1).split('=')[0]!;
    // Bundled short flags such as -it: each letter is a flag; only the last may take a value.
    const letters = isLong ? [name] : [...name];
    for (const letter of letters) checkKnown(letter, isLong ? '--' : '-', flags, command);
    if (!arg.includes('=') && !flags.booleans.has(letters.at(-1)!)) i++;
  }
  return [...argv];
}
