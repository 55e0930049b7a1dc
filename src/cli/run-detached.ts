// `hutch run -d`, and `run` with options that the plain foreground path does
// not take (labels, resource limits): create, then start under the native
// monitor and print the full ID — no Node process stays behind, and --rm is
// carried out by the monitor's exit command — or run in the foreground.
import { UsageError } from '../errors.js';
import { createContext } from './context.js';
import { createFromArgv } from './create.js';
import type { RunCommandOptions } from './run.js';

/** Runs the container; returns the exit status for the CLI. */
export async function runMonitored(argv: RunCommandOptions): Promise<number> {
  if (!argv.detach && ((argv.restart !== undefined && argv.restart !== 'no') || argv['log-opt'] !== undefined)) {
    throw new UsageError(`${argv.restart !== undefined ? '--restart' : '--log-opt'} needs -d/--detach: a foreground run has no monitor to restart the container or write its log`);
  }
  const ctx = createContext(argv);
  const created = await createFromArgv(argv);
  const record = created.container.record;
  const lifecycle = await import('../runtime/lifecycle.js');
  if (!argv.detach) {
    const [{ runForeground }, { ensurePrivateDir }, { withStore }] = await Promise.all([import('../runtime/run-foreground.js'), import('../paths.js'), import('./session.js')]);
    try {
      return await runForeground(created.container, { interactive: created.options.interactive, stateDir: ensurePrivateDir(ctx.paths.runroot) });
    } finally {
      if (argv.rm) await withStore(ctx, (store) => lifecycle.removeContainer(store, ctx.paths, record, { force: true }));
    }
  }
  try {
    await lifecycle.startContainer(ctx.paths, record);
  } catch (err) {
    if (argv.rm) {
      const { withStore } = await import('./session.js');
      await withStore(ctx, (store) => lifecycle.removeContainer(store, ctx.paths, record, { force: true }));
    }
    throw err;
  }
  process.stdout.write(`${record.id}\n`);
  return 0;
}
