// `hutch logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER...`:
// the log the monitor keeps; stdout records go to stdout, stderr to stderr.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { forEachInput } from './each-container.js';

/** Options of `hutch logs`. */
export interface LogsOptions extends GlobalOptions {
  containers: string[];
  follow?: boolean;
  tail?: number;
  since?: string;
  until?: string;
  timestamps?: boolean;
}

/** Writes to our stdout/stderr, waiting when the reader is slower than the log. */
export function streamSink(stream: 'stdout' | 'stderr', text: string): Promise<void> {
  const out = stream === 'stdout' ? process.stdout : process.stderr;
  return new Promise((resolve) => {
    if (out.write(text)) resolve();
    else out.once('drain', resolve);
  });
}

const logs: CommandModule<GlobalOptions, LogsOptions> = {
  command: 'logs <containers..>',
  describe: 'Show the output of containers',
  builder: (yargs) =>
    yargs
      .positional('containers', { type: 'string', array: true, demandOption: true })
      .option('follow', { alias: 'f', type: 'boolean', describe: 'Follow the log until the container exits' })
      .option('tail', { alias: 'n', type: 'number', describe: 'Show only the last N lines (-1: all)' })
      .option('since', { type: 'string', describe: 'Show lines since a time (RFC 3339, Unix time, or a duration such as 10m)' })
      .option('until', { type: 'string', describe: 'Show lines until a time (same forms as --since)' })
      .option('timestamps', { alias: 't', type: 'boolean', describe: 'Show timestamps' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [lifecycle, { parseSince, printLogs }] = await Promise.all([import('../runtime/lifecycle.js'), import('../runtime/logs.js')]);
    // A reader that went away (`| head`) ends the command quietly.
    process.stdout.on('error', () => process.exit(0));
    const query = {
      ...(argv.tail !== undefined && argv.tail >= 0 ? { tail: argv.tail } : {}),
      ...(argv.since !== undefined ? { sinceMs: parseSince(argv.since) } : {}),
      ...(argv.until !== undefined ? { untilMs: parseSince(argv.until) } : {}),
      timestamps: Boolean(argv.timestamps),
      follow: Boolean(argv.follow),
    };
    await forEachInput(argv.containers, async (input) => {
      const { record } = lifecycle.resolveContainer(ctx.paths, input);
      await printLogs(lifecycle.logPath(ctx.paths.root, record.id), query, streamSink, () => lifecycle.hasEnded(ctx.paths, record.id));
    });
  },
};

export default logs;
