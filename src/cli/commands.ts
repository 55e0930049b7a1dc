// The list of top-level commands, one module each. Command modules stay thin
// and import their engine lazily inside the handler.
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './context.js';
import { containerFlags } from './run-flags.js';

// yargs types each module by its own options; the list is heterogeneous by design.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<GlobalOptions, any>;

// Top-level command words → their modules, in the order `hutch --help` lists
// them. Only the typed command's module is loaded: each one pulls in its own
// option tables and helpers, which every other command would pay for.
const COMMAND_MODULES: Record<string, () => Promise<{ default: AnyCommand }>> = {
  run: () => import('./run.js'),
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

/** Commands whose arguments after the first positional belong to the container, with their boolean flags. */
export function commandBooleanFlags(command: string): ReadonlySet<string> | undefined {
  if (command !== 'run') return undefined;
  return new Set(Object.entries(containerFlags).flatMap(([name, option]) => (option.type === 'boolean' ? [name, ...('alias' in option ? [option.alias] : [])] : [])));
}
