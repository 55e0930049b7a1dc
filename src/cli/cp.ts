// `hutch cp [-a] SRC DEST`: copy between a container (`CONTAINER:PATH`) and
// the host; `-` streams a tar on stdin or stdout (podman's cp).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';

/** Options of `hutch cp`. */
export interface CpOptions extends GlobalOptions {
  source: string;
  destination: string;
  archive?: boolean;
}

const cp: CommandModule<GlobalOptions, CpOptions> = {
  command: 'cp <source> <destination>',
  describe: 'Copy files between a container and the host',
  builder: (yargs) =>
    yargs
      .positional('source', { type: 'string', demandOption: true, describe: 'CONTAINER:PATH, a host path, or - (tar on stdin)' })
      .positional('destination', { type: 'string', demandOption: true, describe: 'CONTAINER:PATH, a host path, or - (tar on stdout)' })
      .option('archive', { alias: 'a', type: 'boolean', default: true, describe: 'Files copied in belong to the container\'s user (false: keep the ids of the source)' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { copy } = await import('../runtime/cp.js');
    await copy(ctx.paths, { source: String(argv.source), destination: String(argv.destination), archive: argv.archive !== false, stdin: process.stdin, stdout: process.stdout });
  },
};

export default cp;
