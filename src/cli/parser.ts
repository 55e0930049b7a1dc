// The yargs parser of every command line that direct-dispatch.ts does not
// take: global options, the command modules, strict checking, help, and usage
// failures turned into UsageError.
import yargs, { type Argv, type MiddlewareFunction } from 'yargs';
import { UsageError } from '../errors.js';
import type { LogLevel } from '../log.js';
import { separatorPoint, type AnyCommand } from './commands.js';
import { globalFlags } from './global-flags.js';
import { insertSeparatorAfterFirstPositional } from './split-command-args.js';

/** What the parser needs besides the arguments. */
export interface ParserSettings {
  version: string;
  /** The command word as typed ('' when there is none), named in "unknown command" errors. */
  typedCommand: string;
  /** Called with --log-level before the handler runs. */
  onLogLevel: (level: LogLevel) => void;
}

/** What a middleware reads of the yargs instance yargs passes it as its second argument (left out of @types/yargs). */
interface YargsOptionsView {
  getOptions(): { array: string[] };
}

/**
 * A single-value flag given twice keeps its last value, as in podman
 * (`--hostname a --hostname b` is b): yargs would hand the handler a list.
 */
function lastValueWins(parsed: Record<string, unknown>, instance: YargsOptionsView): void {
  const lists = new Set(instance.getOptions().array);
  // yargs lists option names and aliases, not the camelCase copies it adds (`capDrop` of `cap-drop`).
  const isList = (key: string) => lists.has(key) || lists.has(key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`));
  for (const [key, value] of Object.entries(parsed)) {
    if (Array.isArray(value) && !isList(key) && key !== '_' && key !== '--') parsed[key] = value.at(-1);
  }
}

/** argv as yargs must see it: `--` inserted after the first positional of run/create/exec (throws UsageError on an unknown flag). */
export async function argumentsForYargs(argv: readonly string[], commandIndex: number): Promise<string[]> {
  const split = commandIndex >= 0 ? await separatorPoint(argv, commandIndex) : undefined;
  return split ? insertSeparatorAfterFirstPositional(argv, split.index, split.flags) : [...argv];
}

/** The yargs instance for `args` with `commands` registered. */
export function buildParser(args: readonly string[], commands: AnyCommand[], settings: ParserSettings): Argv {
  return yargs([...args])
    // podman's flags include --no-trunc and --no-stream: they are flags of their own, not negations.
    .parserConfiguration({ 'boolean-negation': false })
    .scriptName('hutch')
    .usage('Usage: hutch [options] <command>\n\nRootless, daemonless containers.')
    .options(globalFlags)
    .middleware(lastValueWins as unknown as MiddlewareFunction)
    .middleware((parsed) => settings.onLogLevel(parsed['log-level']))
    .command(commands)
    .demandCommand(1, 'hutch needs a command')
    .recommendCommands()
    .strict()
    .version(`hutch version ${settings.version}`)
    .alias('h', 'help')
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, err) => {
      if (err) throw err;
      const suggestion = /^Did you mean (\S+)\?$/.exec(message ?? '');
      if (suggestion) {
        throw new UsageError(`unknown command ${JSON.stringify(settings.typedCommand)}`, { hint: `did you mean \`hutch ${suggestion[1]}\`? See \`hutch --help\`` });
      }
      throw new UsageError(message ?? 'invalid usage', { hint: 'see `hutch --help`' });
    });
}
