// `hutch import TARBALL [NAME]`: create a one-layer image from a root
// filesystem tarball (`-` reads standard input).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { interruptSignal, withStore } from './session.js';

/** Options of `hutch import`. */
export interface ImportOptions extends GlobalOptions {
  source: string;
  reference?: string;
  change?: string[];
  message?: string;
  quiet?: boolean;
}

const importCommand: CommandModule<GlobalOptions, ImportOptions> = {
  command: 'import <source> [reference]',
  describe: 'Create an image from a root filesystem tarball (tar, tar.gz or tar.zst; - for stdin)',
  builder: (yargs) =>
    yargs
      .positional('source', { type: 'string', demandOption: true, describe: 'Tarball path, or - for standard input' })
      .positional('reference', { type: 'string', describe: 'Name for the image, e.g. myapp:1 (localhost/ is added to bare names)' })
      .option('change', { alias: 'c', type: 'string', array: true, nargs: 1, describe: 'Dockerfile instruction to apply: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, WORKDIR' })
      .option('message', { alias: 'm', type: 'string', describe: 'History comment for the image' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only the image ID (the default output)' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [{ importTarball }, { normaliseTagName }, { spoolStdin }] = await Promise.all([import('../image/import.js'), import('../image/local.js'), import('./spool-stdin.js')]);
    const name = argv.reference ? normaliseTagName(argv.reference) : undefined;
    const interrupt = interruptSignal();
    try {
      const image = await withStore(ctx, async (store) => {
        // yargs hands a lone `-` over as an empty string.
        const spooled = argv.source === '-' || argv.source === '' ? await spoolStdin(store.stagingDir) : undefined;
        try {
          return await importTarball(store, { file: spooled?.path ?? argv.source, name, changes: argv.change ?? [], message: argv.message, signal: interrupt.signal });
        } finally {
          spooled?.remove();
        }
      });
      process.stdout.write(`${image.id.replace(/^sha256:/, '')}\n`);
    } finally {
      interrupt.dispose();
    }
  },
};

export default importCommand;
