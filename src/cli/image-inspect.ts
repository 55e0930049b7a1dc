// `hutch image inspect IMAGE...`: the stored image's details as JSON (podman's fields).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch image inspect`. */
export interface ImageInspectOptions extends GlobalOptions {
  images: string[];
  format?: string;
}

const imageInspect: CommandModule<GlobalOptions, ImageInspectOptions> = {
  command: 'inspect <images..>',
  describe: 'Show details of one or more images as JSON',
  builder: (yargs) =>
    yargs
      .positional('images', { type: 'string', array: true, demandOption: true })
      .option('format', { alias: 'f', type: 'string', describe: 'A template applied to each image, e.g. {{.Id}}' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [{ inspectDocument, loadImage }, { requireImage }, { renderTemplate }] = await Promise.all([
      import('../image/local.js'),
      import('../image/lookup.js'),
      import('./format.js'),
    ]);
    const docs = await withStore(ctx, async (store) => argv.images.map((input) => inspectDocument(store, loadImage(store, requireImage(store, input).image))));
    if (argv.format && argv.format !== 'json') {
      process.stdout.write(`${docs.map((doc) => renderTemplate(argv.format!, doc)).join('\n')}\n`);
    } else {
      process.stdout.write(`${JSON.stringify(docs, null, 4)}\n`);
    }
  },
};

export default imageInspect;
