// The list of top-level commands, one module each. Command modules stay thin
// and import their engine lazily inside the handler.
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './context.js';
import type { DirectCommand, FlagTable } from './direct-argv.js';
import { globalFlags } from './global-flags.js';
import type { CommandFlags } from './split-command-args.js';

// yargs types each module by its own options; the list is heterogeneous by design.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandModule<GlobalOptions, any>;

// Top-level command words → their modules, in the order `hutch --help` lists
// them. Only the typed command's module is loaded: each one pulls in its own
// option tables and helpers, which every other command would pay for.
const COMMAND_MODULES: Record<string, () => Promise<{ default: AnyCommand }>> = {
  run: () => import('./run.js'),
  create: () => import('./create.js'),
  start: () => import('./start.js'),
  stop: () => import('./stop.js'),
  kill: () => import('./kill.js'),
  restart: () => import('./restart.js'),
  rm: () => import('./rm.js'),
  wait: () => import('./wait.js'),
  ps: () => import('./ps.js'),
  logs: () => import('./logs.js'),
  exec: () => import('./exec.js'),
  attach: () => import('./attach.js'),
  inspect: () => import('./inspect.js'),
  top: () => import('./top.js'),
  port: () => import('./port.js'),
  cp: () => import('./cp.js'),
  diff: () => import('./diff.js'),
  stats: () => import('./stats.js'),
  export: () => import('./export.js'),
  rename: () => import('./rename.js'),
  pause: () => import('./pause.js'),
  unpause: () => import('./unpause.js'),
  container: () => import('./container.js'),
  runtime: () => import('./runtime.js'),
  pull: () => import('./pull.js'),
  images: () => import('./images.js'),
  rmi: () => import('./rmi.js'),
  tag: () => import('./tag.js'),
  import: () => import('./import.js'),
  image: () => import('./image.js'),
  system: () => import('./system.js'),
  info: () => import('./info.js'),
  doctor: () => import('./doctor.js'),
  completion: () => import('./completion.js'),
  __complete: () => import('./complete.js'),
};

/**
 * The command modules yargs needs for `word`: that command alone when it is
 * one, else all of them (for --help, and for "did you mean" on a typo).
 */
export async function loadCommands(word: string | undefined): Promise<AnyCommand[]> {
  const only = word !== undefined && Object.hasOwn(COMMAND_MODULES, word) ? COMMAND_MODULES[word] : undefined;
  const modules = await Promise.all(only ? [only()] : Object.values(COMMAND_MODULES).map((load) => load()));
  return modules.map((module) => module.default);
}

/** The global flags every command accepts (global-flags.ts), and yargs' own --help and --version. */
const GLOBAL_FLAGS: FlagTable = { ...globalFlags, help: { alias: 'h', type: 'boolean' }, version: { type: 'boolean' } };

function flagKinds(table: FlagTable): CommandFlags {
  const booleans = new Set<string>();
  const values = new Set<string>();
  for (const [name, option] of Object.entries({ ...GLOBAL_FLAGS, ...table })) {
    const kind = option.type === 'boolean' ? booleans : values;
    kind.add(name);
    for (const alias of option.alias === undefined ? [] : [option.alias].flat()) kind.add(alias);
  }
  return { booleans, values };
}

// Commands whose arguments after the first positional belong to the
// container. Their flag tables load only for them, which load them anyway:
// `ps` or `rm` never pay for run's tables.
const PASS_THROUGH: Record<string, () => Promise<DirectCommand>> = {
  run: async () => ({ word: 'run', positional: 'image', variadic: 'command', flags: (await import('./run-flags.js')).runFlags }),
  create: async () => ({ word: 'create', positional: 'image', variadic: 'command', flags: (await import('./run-flags.js')).createFlags }),
  exec: async () => ({ word: 'exec', positional: 'container', variadic: 'command', flags: (await import('./exec.js')).execFlags }),
};

/** Commands whose arguments after the first positional belong to the container. */
export const PASS_THROUGH_COMMANDS: ReadonlySet<string> = new Set(Object.keys(PASS_THROUGH));

/** The shape of a PASS_THROUGH_COMMANDS command (undefined for the others). */
export async function passThroughCommand(command: string): Promise<DirectCommand | undefined> {
  return Object.hasOwn(PASS_THROUGH, command) ? PASS_THROUGH[command]!() : undefined;
}

/** The flags of a PASS_THROUGH_COMMANDS command by kind (undefined for the others). */
async function commandFlags(command: string): Promise<CommandFlags | undefined> {
  const shape = await passThroughCommand(command);
  return shape && flagKinds(shape.flags);
}

/**
 * Where the container's own arguments start to need protecting: the command
 * word itself, or the verb after `container` (`hutch container exec ...`).
 */
export async function separatorPoint(argv: readonly string[], commandIndex: number): Promise<{ index: number; flags: CommandFlags } | undefined> {
  let index = commandIndex;
  if (argv[commandIndex] === 'container') {
    index = argv.findIndex((arg, i) => i > commandIndex && !arg.startsWith('-'));
    if (index < 0) return undefined;
  }
  const flags = await commandFlags(argv[index]!);
  return flags ? { index, flags } : undefined;
}
