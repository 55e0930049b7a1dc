// `hutch attach CONTAINER`: follow a running container's output from now
// until it exits. The monitor's attach socket is SOCK_SEQPACKET, which Node
// cannot open, so output is read from the log the monitor writes and input is
// not forwarded.
import type { CommandModule } from 'yargs';
import type { ContainerRecord } from '../runtime/container-store.js';
import type { HutchPaths } from '../paths.js';
import { createContext, type GlobalOptions } from './context.js';
import { streamSink } from './logs.js';

/** Options of `hutch attach`. */
export interface AttachOptions extends GlobalOptions {
  container: string;
  'no-stdin'?: boolean;
  'sig-proxy'?: boolean;
}

/** Prints the container's output from byte `offset` of its log until it exits; returns its exit code. */
export async function followUntilExit(paths: HutchPaths, record: ContainerRecord, offset?: number): Promise<number> {
  const [lifecycle, { printLogs }, { statSync }] = await Promise.all([import('../runtime/lifecycle.js'), import('../runtime/logs.js'), import('node:fs')]);
  const path = lifecycle.logPath(paths.root, record.id);
  let from = offset;
  if (from === undefined) {
    try {
      from = statSync(path).size;
    } catch {
      from = 0;
    }
  }
  const forward = (signal: NodeJS.Signals) => {
    lifecycle.killContainer(paths, record, signal.replace(/^SIG/, '')).catch(() => {});
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    await printLogs(path, { timestamps: false, follow: true, fromOffset: from }, streamSink, () => lifecycle.hasEnded(paths, record.id));
    return await lifecycle.waitForExit(paths, record.id);
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

const attach: CommandModule<GlobalOptions, AttachOptions> = {
  command: 'attach <container>',
  describe: 'Follow the output of a running container until it exits',
  builder: (yargs) =>
    yargs
      .positional('container', { type: 'string', demandOption: true })
      .option('no-stdin', { type: 'boolean', describe: 'Do not feed stdin to the container' })
      .option('sig-proxy', { type: 'boolean', default: true, describe: 'Forward SIGINT and SIGTERM to the container' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const lifecycle = await import('../runtime/lifecycle.js');
    const { record, state } = lifecycle.resolveContainer(ctx.paths, argv.container);
    if (state.status !== 'running') {
      throw new lifecycle.ContainerStateError(`you can only attach to running containers: ${record.name} is ${state.status}`, 'start it with `hutch start -a`');
    }
    const [{ relayStdin }, { runtimeRoot }] = await Promise.all([import('../runtime/attach-input.js'), import('../runtime/container-state.js')]);
    const relay = lifecycle.monitorSettings(record).interactive && !argv['no-stdin'] ? relayStdin(runtimeRoot(ctx.paths), record.id) : undefined;
    try {
      process.exitCode = await followUntilExit(ctx.paths, record);
    } finally {
      relay?.kill();
    }
  },
};

export default attach;
