#!/usr/bin/env node
// hutch's entry point: parse global options and the command with yargs, run
// it, and turn any failure into podman's exit codes (see exit-codes.ts).
// `hutch --version` is answered before yargs is loaded: it is the start-up
// floor every other command is measured against.
import { readFileSync } from 'node:fs';
import { enableCompileCache } from './compile-cache.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Global options that take a value, so their value is not mistaken for the command word. */
const GLOBAL_VALUE_FLAGS = new Set(['--root', '--runroot', '--log-level', '--storage-opt']);

// `hutch ps | head` closes the pipe early: stop quietly, as other Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

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
  const commandIndex = argv.findIndex((arg, i) => !arg.startsWith('-') && !GLOBAL_VALUE_FLAGS.has(argv[i - 1] ?? ''));
  const [{ default: yargs }, { LOG_LEVELS, setLogLevel }, { UsageError }, { loadCommands, separatorPoint }, { reportError }, { insertSeparatorAfterFirstPositional }] = await Promise.all([
    import('yargs'),
    import('../log.js'),
    import('../errors.js'),
    import('./commands.js'),
    import('./exit-codes.js'),
    import('./split-command-args.js'),
  ]);
  const commands = await loadCommands(commandIndex >= 0 ? argv[commandIndex] : undefined);
  const split = commandIndex >= 0 ? await separatorPoint(argv, commandIndex) : undefined;
  let args: string[];
  try {
    args = split ? insertSeparatorAfterFirstPositional(argv, split.index, split.flags) : argv;
  } catch (err) {
    reportError(err, false);
    return;
  }
  let verbose = false;
  const parser = yargs(args)
    // podman's flags include --no-trunc and --no-stream: they are flags of their own, not negations.
    .parserConfiguration({ 'boolean-negation': false })
    .scriptName('hutch')
    .usage('Usage: hutch [options] <command>\n\nRootless, daemonless containers.')
    .option('root', { type: 'string', describe: 'Storage root (images, layers, containers)', global: true })
    .option('runroot', { type: 'string', describe: 'Runtime state directory', global: true })
    .option('log-level', { choices: LOG_LEVELS, default: 'warn' as const, describe: 'Log messages at this level and above', global: true })
    .option('storage-opt', { type: 'string', requiresArg: true, describe: 'Storage option KEY=VALUE: overlay.mount_program=PATH (fuse-overlayfs roots)', global: true })
    .middleware((args) => {
      setLogLevel(args['log-level']);
      verbose = args['log-level'] === 'debug';
    })
    .command(commands)
    .demandCommand(1, 'hutch needs a command')
    .recommendCommands()
    .strict()
    .version(`hutch version ${version}`)
    .alias('h', 'help')
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, err) => {
      if (err) throw err;
      const suggestion = /^Did you mean (\S+)\?$/.exec(message ?? '');
      if (suggestion) {
        const typed = commandIndex >= 0 ? argv[commandIndex]! : '';
        throw new UsageError(`unknown command ${JSON.stringify(typed)}`, { hint: `did you mean \`hutch ${suggestion[1]}\`? See \`hutch --help\`` });
      }
      throw new UsageError(message ?? 'invalid usage', { hint: 'see `hutch --help`' });
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    reportError(err, verbose);
  }
}

await main(process.argv.slice(2));
