// `hutch container inspect CONTAINER...`: containers as JSON with podman's field names.
import type { CommandModule } from 'yargs';
import { createContext, type Context, type GlobalOptions } from './context.js';

/** Options of `hutch container inspect`. */
export interface ContainerInspectOptions extends GlobalOptions {
  containers: string[];
  format?: string;
  size?: boolean;
}

/** The inspect document of one container, or null when `input` names none. */
export async function inspectContainerInput(ctx: Context, input: string): Promise<Record<string, unknown> | null> {
  const [lifecycle, { containerInspectDocument, readContainerSpec }, { findContainer }] = await Promise.all([
    import('../runtime/lifecycle.js'),
    import('../runtime/container-inspect.js'),
    import('../runtime/container-store.js'),
  ]);
  const record = findContainer(ctx.paths.root, input);
  if (!record) return null;
  return containerInspectDocument({
    record,
    state: lifecycle.currentState(ctx.paths, record.id),
    spec: readContainerSpec(ctx.paths.root, record.id),
    root: ctx.paths.root,
    settings: lifecycle.monitorSettings(record),
    logPath: lifecycle.logPath(ctx.paths.root, record.id),
  });
}

/** Prints documents as podman does: a JSON array, or a template per document. */
export async function printInspect(docs: Record<string, unknown>[], format: string | undefined): Promise<void> {
  if (format && format !== 'json') {
    const { renderTemplate } = await import('./format.js');
    process.stdout.write(`${docs.map((doc) => renderTemplate(format, doc)).join('\n')}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
  }
}

const containerInspect: CommandModule<GlobalOptions, ContainerInspectOptions> = {
  command: 'inspect <containers..>',
  describe: 'Show details of one or more containers as JSON',
  builder: (yargs) =>
    yargs
      .positional('containers', { type: 'string', array: true, demandOption: true })
      .option('format', { alias: 'f', type: 'string', describe: 'A template applied to each container, e.g. {{.State.Status}}' })
      .option('size', { alias: 's', type: 'boolean', describe: 'Accepted for compatibility' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { NotFoundError } = await import('../errors.js');
    const { reportError } = await import('./exit-codes.js');
    const docs: Record<string, unknown>[] = [];
    for (const input of argv.containers) {
      const doc = await inspectContainerInput(ctx, input);
      if (doc) docs.push(doc);
      else reportError(new NotFoundError(`no such container ${input}`));
    }
    await printInspect(docs, argv.format);
  },
};

export default containerInspect;
