// `hutch ps` (also `container ls/list/ps`): list containers like podman.
// State comes from the monitor's files and one /proc read per container, with
// no process spawned per container, so listing hundreds stays fast.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';

/** Options of `hutch ps`. */
export interface PsOptions extends GlobalOptions {
  all?: boolean;
  quiet?: boolean;
  'no-trunc'?: boolean;
  filter?: string[];
  format?: string;
  size?: boolean;
  last?: number;
  latest?: boolean;
}

/** Builds the ps command under a given name. */
export function psCommand(command: string, aliases: string[] = []): CommandModule<GlobalOptions, PsOptions> {
  return {
    command,
    aliases,
    describe: 'List containers',
    builder: (yargs) =>
      yargs
        .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers (default: running only)' })
        .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only container IDs' })
        .option('no-trunc', { type: 'boolean', describe: 'Do not truncate IDs and commands' })
        .option('filter', { alias: 'f', type: 'string', array: true, nargs: 1, describe: 'Filter: name=, id=, status=, ancestor=, label=, exited=' })
        .option('format', { type: 'string', describe: '`json`, or a template such as {{.ID}} {{.Names}}' })
        .option('size', { alias: 's', type: 'boolean', describe: 'Show the size of each container\'s writable layer' })
        .option('last', { alias: 'n', type: 'number', describe: 'Show the N most recently created containers (all states)' })
        .option('latest', { alias: 'l', type: 'boolean', describe: 'Show the most recently created container (all states)' }),
    handler: async (argv) => {
      const ctx = createContext(argv);
      const [{ listContainers }, { readContainerState, stateLocation }, rows, { formatRows }] = await Promise.all([
        import('../runtime/container-store.js'),
        import('../runtime/container-state.js'),
        import('../runtime/container-rows.js'),
        import('./format.js'),
      ]);
      const filters = rows.parseFilters(argv.filter ?? []);
      const now = Date.now();
      const limit = argv.latest ? 1 : argv.last;
      const all = Boolean(argv.all) || limit !== undefined || filters.has('status') || filters.has('exited');
      // Newest first, as podman lists them.
      let entries = listContainers(ctx.paths.root)
        .reverse()
        .map((record) => ({ record, state: readContainerState(stateLocation(ctx.paths, record.id)) }))
        .filter((entry) => all || entry.state.status === 'running');
      if (filters.size > 0) {
        const ancestorIds = filters.has('ancestor') ? await ancestorResolver(ctx, filters.get('ancestor')!) : () => [];
        entries = entries.filter((entry) => rows.matchesFilters(entry, filters, ancestorIds));
      }
      if (limit !== undefined && limit >= 0) entries = entries.slice(0, limit);
      if (argv.size) entries = await Promise.all(entries.map(async (entry) => ({ ...entry, size: await containerSize(ctx.paths.root, entry.record) })));
      if (argv.quiet) {
        if (entries.length > 0) process.stdout.write(`${entries.map((e) => (argv['no-trunc'] ? e.record.id : e.record.id.slice(0, 12))).join('\n')}\n`);
        return;
      }
      const noTrunc = Boolean(argv['no-trunc']);
      const headers = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES', ...(argv.size ? ['SIZE'] : [])];
      const output =
        argv.format === 'json'
          ? JSON.stringify(entries.map(rows.jsonRow).map((row, i) => ({ ...row, Status: rows.statusText(entries[i]!.state, now) })), null, 4)
          : formatRows(entries.map((e) => rows.templateRow(e, now, noTrunc)), argv.format, {
              headers,
              cells: (r) => [r.ID, r.Image, r.Command, r.RunningFor, r.Status, r.Ports, r.Names, ...(argv.size ? [r.Size] : [])].map(String),
            });
      if (output !== '') process.stdout.write(`${output}\n`);
    },
  };
}

// ancestor= takes image names and IDs; resolving a short name needs the store's image list.
async function ancestorResolver(ctx: import('./context.js').Context, values: string[]): Promise<(value: string) => string[]> {
  const [{ withStore }, { findImage }] = await Promise.all([import('./session.js'), import('../image/lookup.js')]);
  const resolved = await withStore(ctx, async (store) => {
    const images = store.listImages();
    return new Map(values.map((value) => {
      try {
        return [value, [findImage(store, value, images)?.image.id].filter((id): id is string => id !== undefined)];
      } catch {
        return [value, []];
      }
    }));
  });
  return (value) => resolved.get(value) ?? [];
}

async function containerSize(root: string, record: import('../runtime/container-store.js').ContainerRecord): Promise<{ rw: number; rootFs: number }> {
  const [{ diskUsage }, { containerPaths }] = await Promise.all([import('../storage/disk-usage.js'), import('../runtime/container-store.js')]);
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  let rootFs = 0;
  try {
    const image = JSON.parse(readFileSync(join(root, 'images', `${record.image.id.replace(/^sha256:/, '')}.json`), 'utf8')) as { size?: number };
    rootFs = image.size ?? 0;
  } catch {
    // The image was removed (rmi -f): only the container's own layer counts.
  }
  return { rw: diskUsage(containerPaths(root, record.id).upper), rootFs };
}

export default psCommand('ps');
