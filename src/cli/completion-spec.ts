// What completion knows about a command: its names, positionals, flags and
// subcommands, read from the yargs command module itself (its `command`
// string and its builder applied to a recording stand-in for yargs), so a new
// command or flag completes without being listed twice.
import type { CommandModule, Options } from 'yargs';

/** One flag of a command, as completion sees it. */
export interface FlagSpec {
  /** The long name (`env-file`), or a single letter for a short-only flag. */
  name: string;
  aliases: string[];
  /** Whether the next word (or `=value`) is the flag's value. */
  takesValue: boolean;
  /** May be given several times (yargs `array`). */
  repeatable: boolean;
  choices?: readonly string[];
  describe?: string;
}

/** One positional argument from the command string (`<image>`, `[command..]`). */
export interface PositionalSpec {
  name: string;
  variadic: boolean;
  /** From `.positional(name, { choices })`. */
  choices?: readonly string[];
}

/** A command or subcommand. */
export interface CommandSpec {
  name: string;
  aliases: string[];
  describe?: string;
  /** `describe: false` in yargs: runs, but is never offered. */
  hidden: boolean;
  positionals: PositionalSpec[];
  flags: FlagSpec[];
  subcommands: CommandSpec[];
  /** Words after the first positional belong to the container (`run IMAGE CMD -x`), not to hutch. */
  passThroughAfterFirstPositional: boolean;
}

// yargs types each module by its own options; the command table is heterogeneous.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = CommandModule<any, any>;

/** Splits a yargs command string (`run <image> [command..]`) into its name and positionals. */
export function parseCommandString(command: string): { name: string; positionals: PositionalSpec[] } {
  const [name = '', ...rest] = command.trim().split(/\s+/);
  const positionals = rest.flatMap((token) => {
    const match = /^[<[]([^\]>|.]+)(?:\|[^\]>.]*)?(\.\.)?[\]>]$/.exec(token);
    return match ? [{ name: match[1]!, variadic: match[2] !== undefined }] : [];
  });
  return { name, positionals };
}

/** Converts one yargs option definition to a FlagSpec. */
export function flagFromOption(name: string, option: Options): FlagSpec {
  const aliases = option.alias === undefined ? [] : Array.isArray(option.alias) ? [...option.alias] : [option.alias];
  const isSwitch = option.type === 'boolean' || option.type === 'count' || option.boolean === true || option.count === true;
  const describe = option.describe ?? option.description ?? option.desc;
  return {
    name,
    aliases,
    takesValue: !isSwitch,
    repeatable: option.array === true || option.type === 'array',
    ...(option.choices !== undefined ? { choices: (Array.isArray(option.choices) ? option.choices : [option.choices]).map(String) } : {}),
    ...(typeof describe === 'string' ? { describe } : {}),
  };
}

// The parts of yargs' Argv a builder calls that carry completion facts; any
// other method (parserConfiguration, demandCommand, check, example...) is a
// no-op returning the stand-in, so builders chain as they do on real yargs.
function recordingArgv(spec: CommandSpec): unknown {
  const flags = new Map<string, FlagSpec>();
  const addOption = (name: string, option: Options = {}) => {
    flags.set(name, flagFromOption(name, option));
    spec.flags = [...flags.values()];
  };
  const recorder: Record<string, (...args: never[]) => unknown> = {
    option: (name: string | Record<string, Options>, option?: Options) => {
      if (typeof name === 'string') addOption(name, option);
      else for (const [key, value] of Object.entries(name)) addOption(key, value);
    },
    positional: (name: string, option: Options = {}) => {
      const positional = spec.positionals.find((p) => p.name === name);
      if (positional && option.choices !== undefined) positional.choices = flagFromOption(name, option).choices;
    },
    alias: (name: string, alias: string | string[]) => {
      const flag = flags.get(name);
      if (flag) flag.aliases.push(...(Array.isArray(alias) ? alias : [alias]));
    },
    choices: (name: string, values: unknown) => {
      const flag = flags.get(name);
      if (flag) flag.choices = (Array.isArray(values) ? values : [values]).map(String);
    },
    command: (first: unknown, describe?: unknown, builder?: unknown) => {
      // .command(modules[]), .command(module) or .command(cmd | cmd[], describe, builder).
      const isCommandString = typeof first === 'string' || (Array.isArray(first) && first.every((item) => typeof item === 'string'));
      const modules = isCommandString ? [{ command: first, describe, builder }] : Array.isArray(first) ? first : [first];
      for (const module of modules) spec.subcommands.push(describeCommand(module as AnyModule));
    },
  };
  recorder.options = recorder.option!;
  const proxy: unknown = new Proxy(
    {},
    {
      get: (_target, property) => {
        // Not a thenable: a builder's result may be awaited.
        if (property === 'then' || typeof property !== 'string') return undefined;
        const record = recorder[property];
        return (...args: never[]) => {
          record?.(...args);
          return proxy;
        };
      },
    },
  );
  return proxy;
}

/** Reads a yargs command module into a CommandSpec; a builder that throws leaves only what it recorded. */
export function describeCommand(module: AnyModule): CommandSpec {
  const commands = module.command === undefined ? [] : Array.isArray(module.command) ? module.command : [module.command];
  const parsed = parseCommandString(commands[0] ?? '');
  const moreAliases = commands.slice(1).map((command) => parseCommandString(command).name);
  const extraAliases = module.aliases === undefined ? [] : Array.isArray(module.aliases) ? module.aliases : [module.aliases];
  const spec: CommandSpec = {
    name: parsed.name,
    aliases: [...moreAliases, ...extraAliases],
    hidden: module.describe === false,
    positionals: parsed.positionals,
    flags: [],
    subcommands: [],
    passThroughAfterFirstPositional: false,
    ...(typeof module.describe === 'string' ? { describe: module.describe } : {}),
  };
  const builder = module.builder;
  const stub = recordingArgv(spec);
  try {
    if (typeof builder === 'function') (builder as (yargs: unknown) => unknown)(stub);
    else if (builder !== undefined) (stub as { options(options: Record<string, Options>): unknown }).options(builder as Record<string, Options>);
  } catch {
    // A builder that needs real yargs (reads argv, say) still completes its name and what it declared before.
  }
  return spec;
}
