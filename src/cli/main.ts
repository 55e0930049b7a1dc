#!/usr/bin/env node
// hutch's entry point: parse global options and the command with yargs, run
// it, and turn any failure into podman's exit codes (see exit-codes.ts).
// `hutch --version` is answered before yargs is loaded: it is the start-up
// floor every other command is measured against.
import { readFileSync } from 'node:fs';
import { enableCompileCache } from './compile-cache.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

// `hutch ps | head` closes the pipe early: stop quietly, as other Unix tools do.
function onStdoutError(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
}

// The handler is attached when stdout is first used: creating the stream
// loads tty or net, a few ms that `hutch run`, which leaves its stdout to the
// container, need not pay. Node defines process.stdout as a configurable getter.
const stdoutProperty = Object.getOwnPropertyDescriptor(process, 'stdout');
if (stdoutProperty?.get && stdoutProperty.configurable) {
  Object.defineProperty(process, 'stdout', {
    ...stdoutProperty,
    get() {
      Object.defineProperty(process, 'stdout', stdoutProperty);
      return process.stdout.on('error', onStdoutError);
    },
  });
} else {
  process.stdout.on('error', onStdoutError);
}

async function main(argv: string[]): Promise<void> {
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`hutch version ${version}\n`);
    return;
  }
  enableCompileCache();
  // Completion runs on every Tab press: it parses its words itself, so yargs is not loaded for it.
  if (argv[0] === '__complete') {
    const { runCompletion } = await import('./complete.js');
    await runCompletion(argv);
    return;
  }
  const [{ indexOfCommandWord }, { PASS_THROUGH_COMMANDS, loadCommands }] = await Promise.all([import('./global-flags.js'), import('./commands.js')]);
  const commandIndex = indexOfCommandWord(argv);
  // run, create and exec in their plain forms skip loading yargs (direct-argv.ts);
  // other commands do not load the direct parser at all.
  if (commandIndex >= 0 && PASS_THROUGH_COMMANDS.has(argv[commandIndex]!) && (await (await import('./direct-dispatch.js')).runWithoutYargs(argv, commandIndex))) return;
  const [{ setLogLevel }, { reportError }, { argumentsForYargs, buildParser }] = await Promise.all([
    import('../log.js'),
    import('./exit-codes.js'),
    import('./parser.js'),
  ]);
  const commands = await loadCommands(commandIndex >= 0 ? argv[commandIndex] : undefined);
  let args: string[];
  try {
    args = await argumentsForYargs(argv, commandIndex);
  } catch (err) {
    reportError(err, false);
    return;
  }
  let verbose = false;
  const parser = buildParser(args, commands, {
    version,
    typedCommand: commandIndex >= 0 ? argv[commandIndex]! : '',
    onLogLevel: (level) => {
      setLogLevel(level);
      verbose = level === 'debug';
    },
  });
  try {
    await parser.parseAsync();
  } catch (err) {
    reportError(err, verbose);
  }
}

await main(process.argv.slice(2));
