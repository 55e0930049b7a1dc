// Runs `hutch run`/`create`/`exec` without loading yargs when their
// arguments are in the plain forms direct-argv.ts reads; the handler and the
// error reporting are the same ones the yargs path uses.
import { loadCommands, passThroughCommand } from './commands.js';
import { parseDirectArguments } from './direct-argv.js';
import { reportError } from './exit-codes.js';
import { globalFlags } from './global-flags.js';
import { setLogLevel, type LogLevel } from '../log.js';

/**
 * Runs the PASS_THROUGH_COMMANDS command at argv[commandIndex] if it can skip
 * yargs; false when yargs must parse it.
 */
export async function runWithoutYargs(argv: readonly string[], commandIndex: number): Promise<boolean> {
  const word = argv[commandIndex]!;
  // The flag table and the command's module load together (yargs needs the module too if it takes over).
  const [command, [module]] = await Promise.all([passThroughCommand(word), loadCommands(word)]);
  const parsed = command && parseDirectArguments(argv, commandIndex, command, globalFlags);
  if (!parsed) return false;
  const logLevel = parsed['log-level'] as LogLevel;
  setLogLevel(logLevel);
  try {
    await module!.handler(parsed as never);
  } catch (err) {
    reportError(err, logLevel === 'debug');
  }
  return true;
}
