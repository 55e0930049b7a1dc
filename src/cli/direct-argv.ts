// A parser for the argument vectors of the hot commands (`run`, `create`,
// `exec`) that skips loading yargs, about a third of a `hutch run` on Node 20.
// It accepts only the plain forms of known flags and returns exactly the
// object yargs would hand the command's handler (test/unit/cli/direct-argv
// compares the two on a corpus). Anything else (help, a flag given twice, a
// value that starts with a dash, `-eK=V`, a missing image) returns undefined
// and goes through yargs, which stays the one source of usage errors.
import type { Options } from 'yargs';

/** yargs option definitions by long name. */
export type FlagTable = Readonly<Record<string, Options>>;

/** What a pass-through command looks like to the parser. */
export interface DirectCommand {
  /** The command word (`run`). */
  word: string;
  /** Its first positional (`image`, `container`); the container's arguments follow it. */
  positional: string;
  /** Its variadic positional (`command`): yargs gives it empty, the words go to `--`. */
  variadic: string;
  /** Its own flags. */
  flags: FlagTable;
}

/** Parsed arguments, shaped as yargs gives them to a handler. */
export type DirectArguments = Record<string, unknown> & { _: string[]; '--'?: string[]; $0: string };

type Kind = 'boolean' | 'string' | 'array';

interface Flag {
  kind: Kind;
  choices?: readonly string[];
  default?: unknown;
  /** Every key yargs sets for it: name, aliases, and their camelCase forms. */
  keys: string[];
}

const SCRIPT_NAME = 'hutch';

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function kindOf(option: Options): Kind {
  if (option.type === 'boolean') return 'boolean';
  return option.array === true ? 'array' : 'string';
}

function aliasesOf(option: Options): string[] {
  return option.alias === undefined ? [] : [option.alias].flat();
}

function flagOf(name: string, option: Options): Flag {
  const keys = [...new Set([name, ...aliasesOf(option)].flatMap((key) => [key, camelCase(key)]))];
  return {
    kind: kindOf(option),
    ...(option.choices !== undefined ? { choices: [option.choices].flat().map(String) } : {}),
    ...(option.default !== undefined ? { default: option.default } : {}),
    keys,
  };
}

/** Long names and aliases → flags; a one-letter alias is also reachable as `-x`. */
function indexFlags(table: FlagTable): Map<string, Flag> {
  const index = new Map<string, Flag>();
  for (const [name, option] of Object.entries(table)) {
    const flag = flagOf(name, option);
    for (const key of [name, ...aliasesOf(option)]) index.set(key, flag);
  }
  return index;
}

// yargs-parser reads `--flag true` as the boolean's value, and never takes a
// word starting with a dash as a value: both are left to yargs.
const BOOLEAN_WORD = /^(true|false)$/;
const LONG_FLAG = /^--([A-Za-z][A-Za-z0-9-]*)(?:=([\s\S]*))?$/;
const SHORT_FLAGS = /^-([A-Za-z]+)$/;

class Values {
  readonly byFlag = new Map<Flag, unknown>();

  /** Records a value; false when yargs would read it differently (a repeated single-value flag, a value outside the choices). */
  set(flag: Flag, value: string | boolean): boolean {
    if (flag.choices !== undefined && !flag.choices.includes(String(value))) return false;
    if (flag.kind === 'array') {
      const list = (this.byFlag.get(flag) as unknown[] | undefined) ?? [];
      this.byFlag.set(flag, [...list, value]);
      return true;
    }
    if (this.byFlag.has(flag)) return false;
    this.byFlag.set(flag, value);
    return true;
  }
}

/**
 * Reads the flag at argv[i] (and its value) into `values`; returns the index
 * of the last word it used, or -1 when the vector needs yargs.
 */
function readFlag(argv: readonly string[], i: number, flags: Map<string, Flag>, values: Values): number {
  const arg = argv[i]!;
  const long = LONG_FLAG.exec(arg);
  const letters = long ? [long[1]!] : [...(SHORT_FLAGS.exec(arg)?.[1] ?? '')];
  if (letters.length === 0) return -1;
  if (!long && letters.some((letter, n) => n < letters.length - 1 && flags.get(letter)?.kind !== 'boolean')) return -1;
  for (const letter of letters.slice(0, -1)) if (!values.set(flags.get(letter)!, true)) return -1;
  const flag = flags.get(letters.at(-1)!);
  if (flag === undefined) return -1;
  const inline = long?.[2];
  const next = argv[i + 1];
  if (flag.kind === 'boolean') {
    if (inline !== undefined) return BOOLEAN_WORD.test(inline) && values.set(flag, inline === 'true') ? i : -1;
    return next !== undefined && BOOLEAN_WORD.test(next) ? -1 : values.set(flag, true) ? i : -1;
  }
  if (inline !== undefined) return values.set(flag, inline) ? i : -1;
  if (next === undefined || next.startsWith('-')) return -1;
  return values.set(flag, next) ? i + 1 : -1;
}

/**
 * Parses argv (global flags, the command word at commandIndex, its flags,
 * its positional, then the container's arguments) as yargs would after
 * split-command-args inserted `--`; undefined when only yargs can.
 */
export function parseDirectArguments(argv: readonly string[], commandIndex: number, command: DirectCommand, globals: FlagTable): DirectArguments | undefined {
  if (argv[commandIndex] !== command.word) return undefined;
  const globalIndex = indexFlags(globals);
  const allIndex = new Map([...globalIndex, ...indexFlags(command.flags)]);
  const values = new Values();
  let positional: string | undefined;
  let i = 0;
  for (; i < argv.length && positional === undefined; i++) {
    if (i === commandIndex) continue;
    const arg = argv[i]!;
    if (!arg.startsWith('-') && i > commandIndex) {
      positional = arg;
      break;
    }
    const last = readFlag(argv, i, i < commandIndex ? globalIndex : allIndex, values);
    if (last < 0) return undefined;
    i = last;
  }
  if (positional === undefined) return undefined;
  const rest = argv.slice(i + 1);
  const containerArguments = rest[0] === '--' ? rest.slice(1) : rest;
  // yargs leaves `--` out when nothing follows it.
  const parsed: DirectArguments = { _: [command.word], ...(containerArguments.length > 0 ? { '--': containerArguments } : {}), $0: SCRIPT_NAME, [command.positional]: positional, [command.variadic]: [] };
  for (const flag of new Set(allIndex.values())) {
    const value = values.byFlag.has(flag) ? values.byFlag.get(flag) : flag.default;
    if (value !== undefined) for (const key of flag.keys) parsed[key] = value;
  }
  return parsed;
}
