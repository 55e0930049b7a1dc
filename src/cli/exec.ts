// `hutch exec [-i] [-t] [-u USER] [-e K=V] [-w DIR] CONTAINER COMMAND...`:
// run a command in a running container; its exit status is ours.
import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';
import { CONTAINER_ARGUMENTS_PARSING } from './run-flags.js';

/** Options of `hutch exec`. */
export interface ExecOptions extends GlobalOptions {
  container: string;
  command?: (string | number)[];
  interactive?: boolean;
  tty?: boolean;
  user?: string;
  env?: string[];
  workdir?: string;
  privileged?: boolean;
}

/** exec's flags, also used to split its argument vector (see split-command-args.ts). */
export const execFlags = {
  interactive: { alias: 'i', type: 'boolean', describe: 'Keep stdin open' },
  tty: { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-terminal' },
  user: { alias: 'u', type: 'string', describe: 'Run as USER[:GROUP] (names from the image, or ids)' },
  env: { alias: 'e', type: 'string', array: true, nargs: 1, describe: 'Set an environment variable (K=V, or K to copy from the host)' },
  workdir: { alias: 'w', type: 'string', describe: 'Working directory inside the container' },
  privileged: { type: 'boolean', describe: 'Refused: a rootless container cannot gain privileges' },
} as const;

const exec: CommandModule<GlobalOptions, ExecOptions> = {
  command: 'exec <container> [command..]',
  describe: 'Run a command in a running container',
  builder: (yargs) =>
    yargs
      .parserConfiguration(CONTAINER_ARGUMENTS_PARSING)
      .positional('container', { type: 'string', demandOption: true })
      .positional('command', { type: 'string', array: true })
      .options(execFlags),
  handler: async (argv) => {
    if (argv.privileged) {
      throw new UsageError('--privileged is refused: rootless hutch cannot give a process more privileges than the container was created with', { hint: 'use --cap-add on `hutch run`/`create` for specific capabilities' });
    }
    const ctx = createContext(argv);
    const [lifecycle, execEngine, { runtimeRoot }] = await Promise.all([import('../runtime/lifecycle.js'), import('../runtime/exec.js'), import('../runtime/container-state.js')]);
    const { record, state } = lifecycle.resolveContainer(ctx.paths, argv.container);
    if (state.status !== 'running' || !state.hasRuntimeState) {
      throw new lifecycle.ContainerStateError(
        `can only create exec sessions on running containers: container ${record.name} is ${state.status === 'running' ? 'running in the foreground without a monitor' : state.status}: container state improper`,
        state.status === 'running' ? 'start containers with `hutch run -d` or `hutch start` to exec into them' : 'start it first with `hutch start`',
      );
    }
    const command = [...(argv.command ?? []), ...(((argv as unknown as Record<string, unknown>)['--'] as string[] | undefined) ?? [])].map(String);
    process.exitCode = await execEngine.runExec(runtimeRoot(ctx.paths), record, {
      command,
      tty: Boolean(argv.tty),
      interactive: Boolean(argv.interactive),
      ...(argv.user !== undefined ? { user: await execEngine.resolveExecUser(ctx.paths.root, record, argv.user) } : {}),
      ...(argv.workdir !== undefined ? { workdir: argv.workdir } : {}),
      env: execEngine.execEnv(argv.env ?? [], process.env),
    });
  },
};

export default exec;
