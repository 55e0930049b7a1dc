// `hutch run [OPTIONS] IMAGE [COMMAND [ARG...]]`: everything after IMAGE
// belongs to the container, flags included (`hutch run img ls -la`). yargs
// cannot stop parsing at a positional inside one subcommand, so the
// argument vector is split here: `--` is inserted after the first positional.

/** Flags that take no value, per command, so their next token is not mistaken for one. */
export type BooleanFlags = ReadonlySet<string>;

/**
 * Returns argv with `--` inserted after the first positional following
 * `commandIndex` (the command word). Options with a value (`-e K=V`,
 * `--name x`) are skipped with their value; `--x=y` is one token.
 */
export function insertSeparatorAfterFirstPositional(argv: readonly string[], commandIndex: number, booleans: BooleanFlags): string[] {
  for (let i = commandIndex + 1; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...argv];
    if (!arg.startsWith('-') || arg === '-') {
      return argv[i + 1] === '--' ? [...argv] : [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
    }
    if (arg.includes('=')) continue;
    const name = arg.replace(/^-+/, '');
    const isLong = arg.startsWith('--');
    // Bundled short booleans such as -it: only the last letter may take a value.
    const last = isLong ? name : name.slice(-1);
    if (!booleans.has(last) && !(isLong && name.startsWith('no-'))) i++;
  }
  return [...argv];
}
