// `hutch images` (also `hutch image ls`): list stored images like podman.
import type { CommandModule } from 'yargs';
import type { ImageRow } from '../image/local.js';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch images`. */
export interface ImagesOptions extends GlobalOptions {
  all?: boolean;
  quiet?: boolean;
  digests?: boolean;
  'no-trunc'?: boolean;
  format?: string;
}

/** podman's `images --format json`: one object per image (not per name), with all its names. */
function imagesAsJson(rows: ImageRow[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  return rows
    .filter((r) => !seen.has(r.Id) && seen.add(r.Id))
    .map((r) => ({ Id: r.Id.replace(/^sha256:/, ''), Names: r.Names, Digest: r.Digest, Created: r.Created, Size: r.Size, Dangling: r.Dangling }));
}

/** Builds the `images` command under a given name (`images` at top level, `ls` under `image`). */
export function imagesCommand(command: string, aliases: string[] = []): CommandModule<GlobalOptions, ImagesOptions> {
  return {
    command,
    aliases,
    describe: 'List images in local storage',
    builder: (yargs) =>
      yargs
        .option('all', { alias: 'a', type: 'boolean', describe: 'Show all images (hutch keeps no intermediate images, so the same as the default)' })
        .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only image IDs' })
        .option('digests', { type: 'boolean', describe: 'Show manifest digests' })
        .option('no-trunc', { type: 'boolean', describe: 'Do not truncate IDs' })
        .option('format', { type: 'string', describe: '`json`, or a template such as {{.ID}} {{.Repository}}:{{.Tag}}' }),
    handler: async (argv) => {
      const ctx = createContext(argv);
      const [{ imageRows }, { formatRows, humanAgo, humanSize }] = await Promise.all([import('../image/local.js'), import('./format.js')]);
      const rows = await withStore(ctx, async (store) => imageRows(store));
      const id = (row: { ID: string; Id: string }) => (argv['no-trunc'] ? row.Id : row.ID);
      if (argv.quiet) {
        const ids = [...new Set(rows.map(id))];
        if (ids.length > 0) process.stdout.write(`${ids.join('\n')}\n`);
        return;
      }
      const headers = ['REPOSITORY', 'TAG', ...(argv.digests ? ['DIGEST'] : []), 'IMAGE ID', 'CREATED', 'SIZE'];
      const output = formatRows(
        argv.format === 'json' ? imagesAsJson(rows) : (rows as unknown as Record<string, unknown>[]),
        argv.format,
        {
          headers,
          cells: (row) => {
            const r = row as unknown as (typeof rows)[number];
            return [r.Repository, r.Tag, ...(argv.digests ? [r.Digest] : []), id(r), humanAgo(new Date(r.Created)), humanSize(r.Size)];
          },
        },
      );
      if (output !== '') process.stdout.write(`${output}\n`);
    },
  };
}

export default imagesCommand('images');
