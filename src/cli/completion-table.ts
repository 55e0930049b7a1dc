// The command table completion walks: every top-level command module read by
// describeCommand, under a root that carries the options main.ts gives every
// command.
import type { CommandModule } from 'yargs';
import { globalFlags } from './global-flags.js';
import { describeCommand, flagFromOption, type CommandSpec, type FlagSpec } from './completion-spec.js';
import type { CommandTable } from './completion-words.js';

/** The global options main.ts declares on its yargs instance, and yargs' --help. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  ...Object.entries(globalFlags).map(([name, option]) => flagFromOption(name, option)),
  flagFromOption('help', { alias: 'h', type: 'boolean', describe: 'Show help' }),
];

// yargs types each module by its own options; the command list is heterogeneous.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = CommandModule<any, any>;

/** Builds the table from command modules; `passesThrough(name)` marks commands whose words after the first positional go to the container. */
export function buildCommandTable(modules: readonly AnyModule[], passesThrough: (name: string) => boolean): CommandTable {
  const subcommands = modules.map((module) => {
    const spec = describeCommand(module);
    return { ...spec, passThroughAfterFirstPositional: passesThrough(spec.name) };
  });
  const root: CommandSpec = {
    name: 'hutch',
    aliases: [],
    hidden: false,
    positionals: [],
    flags: [flagFromOption('version', { type: 'boolean', describe: 'Show the version' })],
    subcommands,
    passThroughAfterFirstPositional: false,
  };
  return { root, globals: [...GLOBAL_FLAGS] };
}
