// `hutch export [-o FILE] CONTAINER`: the container's filesystem as a tar (podman's export).
import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';

/** Options of `hutch export`. */
export interface ExportOptions extends GlobalOptions {
  container: string;
  output?: string;
}

const exportCommand: CommandModule<GlobalOptions, ExportOptions> = {
  command: 'export <container>',
  describe: "Export a container's filesystem as a tar archive",
  builder: (yargs) =>
    yargs
      .positional('container', { type: 'string', demandOption: true })
      .option('output', { alias: 'o', type: 'string', describe: 'Write to FILE instead of stdout' }),
  handler: async (argv) => {
    if (argv.output === undefined && process.stdout.isTTY) {
      throw new UsageError('refusing to export to terminal', { hint: 'use -o FILE or redirect stdout' });
    }
    const ctx = createContext(argv);
    const [{ exportContainer }, { createWriteStream }] = await Promise.all([import('../runtime/export.js'), import('node:fs')]);
    if (argv.output === undefined) {
      await exportContainer(ctx.paths, argv.container, process.stdout);
      return;
    }
    const file = createWriteStream(argv.output, { mode: 0o600 });
    try {
      await exportContainer(ctx.paths, argv.container, file);
    } finally {
      await new Promise<void>((resolve) => file.end(resolve));
    }
  },
};

export default exportCommand;
