// `hutch diff [--format json] CONTAINER`: paths a container added, changed or deleted (podman's diff).
import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';

/** Options of `hutch diff`. */
export interface DiffOptions extends GlobalOptions {
  container: string;
  format?: string;
}

const diff: CommandModule<GlobalOptions, DiffOptions> = {
  command: 'diff <container>',
  describe: "Show the changes to a container's filesystem",
  builder: (yargs) =>
    yargs
      .positional('container', { type: 'string', demandOption: true })
      .option('format', { type: 'string', describe: 'json for {changed, added, deleted}' }),
  handler: async (argv) => {
    if (argv.format !== undefined && argv.format !== 'json') throw new UsageError(`unknown --format ${JSON.stringify(argv.format)}: only json is supported`);
    const ctx = createContext(argv);
    const [{ resolveContainer }, { diffContainer, changesJson }] = await Promise.all([import('../runtime/lifecycle.js'), import('../runtime/diff.js')]);
    const { record } = resolveContainer(ctx.paths, argv.container);
    const changes = await diffContainer(ctx.paths.root, record.id);
    if (argv.format === 'json') process.stdout.write(`${JSON.stringify(changesJson(changes), null, 4)}\n`);
    else if (changes.length > 0) process.stdout.write(`${changes.map((c) => `${c.kind} ${c.path}`).join('\n')}\n`);
  },
};

export default diff;
