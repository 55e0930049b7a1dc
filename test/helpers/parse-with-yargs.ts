// What hutch's yargs parser (src/cli/parser.ts) hands a command's handler,
// for unit tests of the argument handling: the handler is replaced by one
// that records its argument.
import { loadCommands } from '../../src/cli/commands.js';
import { indexOfCommandWord } from '../../src/cli/global-flags.js';
import { argumentsForYargs, buildParser } from '../../src/cli/parser.js';

/** What the real yargs parser hands the handler of argv's command (or the error it raises). */
export async function viaYargs(argv: readonly string[]): Promise<Record<string, unknown> | Error> {
  const commandIndex = indexOfCommandWord(argv);
  const [command] = await loadCommands(argv[commandIndex]);
  let received: Record<string, unknown> | undefined;
  // A deep copy at call time: yargs goes on changing `_` after the handler returned.
  const capturing = { ...command!, handler: (parsed: Record<string, unknown>) => void (received = structuredClone(parsed)) };
  try {
    const args = await argumentsForYargs(argv, commandIndex);
    await buildParser(args, [capturing], { version: '0', typedCommand: argv[commandIndex]!, onLogLevel: () => {} }).exitProcess(false).parseAsync();
  } catch (err) {
    return err as Error;
  }
  return received ?? new Error('yargs did not call the handler');
}

