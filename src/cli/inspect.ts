// `hutch inspect [--type container|image|all] NAME...`: containers first,
// then images, as podman resolves a bare name.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { inspectContainerInput, printInspect } from './container-inspect.js';
import { withStore } from './session.js';

/** Options of `hutch inspect`. */
export interface InspectOptions extends GlobalOptions {
  names: string[];
  type: 'container' | 'image' | 'all';
  format?: string;
  size?: boolean;
}

const inspect: CommandModule<GlobalOptions, InspectOptions> = {
  command: 'inspect <names..>',
  describe: 'Show details of containers or images as JSON',
  builder: (yargs) =>
    yargs
      .positional('names', { type: 'string', array: true, demandOption: true })
      .option('type', { alias: 't', choices: ['container', 'image', 'all'] as const, default: 'all' as const, describe: 'What kind of object to look for' })
      .option('format', { alias: 'f', type: 'string', describe: 'A template applied to each result' })
      .option('size', { alias: 's', type: 'boolean', describe: 'Accepted for compatibility' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [{ NotFoundError }, { reportError }] = await Promise.all([import('../errors.js'), import('./exit-codes.js')]);
    const docs: Record<string, unknown>[] = [];
    for (const input of argv.names) {
      const container = argv.type === 'image' ? null : await inspectContainerInput(ctx, input);
      if (container) {
        docs.push(container);
        continue;
      }
      const image = argv.type === 'container' ? null : await inspectImage(ctx, input);
      if (image) docs.push(image);
      else reportError(new NotFoundError(`no such object: ${JSON.stringify(input)}`, { hint: 'list containers with `hutch ps -a` and images with `hutch images`' }));
    }
    await printInspect(docs, argv.format);
  },
};

async function inspectImage(ctx: ReturnType<typeof createContext>, input: string): Promise<Record<string, unknown> | null> {
  const [{ inspectDocument, loadImage }, { findImage }] = await Promise.all([import('../image/local.js'), import('../image/lookup.js')]);
  return withStore(ctx, async (store) => {
    const found = findImage(store, input);
    return found ? inspectDocument(store, loadImage(store, found.image)) : null;
  });
}

export default inspect;
