// `hutch runtime [--root DIR] VERB ...`: runc's command line for an existing
// OCI bundle, passed through to hutch-runtime's verbs (create, start, state,
// kill, delete, pause, resume, list, run, exec, spec) with its stdio and exit
// status. The state directory defaults to RUNROOT/runtime, apart from hutch's
// own containers.
import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';

const VERBS = new Set(['create', 'start', 'state', 'kill', 'delete', 'pause', 'resume', 'list', 'run', 'exec', 'spec']);

/** The arguments after the `runtime` word, as typed (yargs would claim --root for hutch's storage root). */
export function runtimeArgs(argv: readonly string[], defaultRoot: string): string[] {
  const globalValue = new Set(['--root', '--runroot', '--log-level']);
  let i = 0;
  while (i < argv.length && argv[i] !== 'runtime') i += argv[i]!.startsWith('-') && !argv[i]!.includes('=') && globalValue.has(argv[i]!) ? 2 : 1;
  const rest = argv.slice(i + 1);
  const hasRoot = rest.length > 0 && (rest[0] === '--root' || rest[0]!.startsWith('--root='));
  const verbAt = hasRoot ? (rest[0] === '--root' ? 2 : 1) : 0;
  const verb = rest[verbAt];
  if (verb === undefined || !VERBS.has(verb)) {
    throw new UsageError(verb === undefined ? 'hutch runtime needs a command' : `unknown runtime command ${JSON.stringify(verb)}`, { hint: `commands: ${[...VERBS].join(', ')}; state directory: --root DIR before the command` });
  }
  return hasRoot || verb === 'spec' ? [...rest] : ['--root', defaultRoot, ...rest];
}

const runtime: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'runtime',
  describe: 'OCI runtime command line (runc\'s verbs) for an existing bundle',
  builder: (yargs) => yargs.strict(false).parserConfiguration({ 'unknown-options-as-args': true }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [{ join }, { runAttachedRuntime }, { ensurePrivateDir }] = await Promise.all([
      import('node:path'),
      import('../runtime/attached-runtime.js'),
      import('../paths.js'),
    ]);
    const defaultRoot = join(ctx.paths.runroot, 'runtime');
    const args = runtimeArgs(process.argv.slice(2), defaultRoot);
    if (args[0] === '--root' && args[1] === defaultRoot) ensurePrivateDir(defaultRoot);
    process.exitCode = await runAttachedRuntime(args, { stdin: true, forward: ['SIGTERM'], ignore: ['SIGINT'] });
  },
};

export default runtime;
