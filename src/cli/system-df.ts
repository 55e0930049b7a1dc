// `hutch system df`: disk space used by images, layers and containers.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch system df`. */
export interface SystemDfOptions extends GlobalOptions {
  format?: string;
}

const systemDf: CommandModule<GlobalOptions, SystemDfOptions> = {
  command: 'df',
  describe: 'Show disk space used by hutch',
  builder: (yargs) => yargs.option('format', { type: 'string', describe: '`json` or a template' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [{ storageUsage }, { formatRows, humanSize }] = await Promise.all([import('../storage/usage-report.js'), import('./format.js')]);
    const rows = await withStore(ctx, async (store) => storageUsage(store));
    const output = formatRows(rows as unknown as Record<string, unknown>[], argv.format, {
      headers: ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
      cells: (row) => {
        const r = row as unknown as (typeof rows)[number];
        return [r.Type, String(r.Total), String(r.Active), humanSize(r.Size), humanSize(r.Reclaimable)];
      },
    });
    process.stdout.write(`${output}\n`);
  },
};

export default systemDf;
