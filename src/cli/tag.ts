// `hutch tag IMAGE NAME...`: give a stored image more names.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch tag`. */
export interface TagOptions extends GlobalOptions {
  image: string;
  names: string[];
}

const tag: CommandModule<GlobalOptions, TagOptions> = {
  command: 'tag <image> <names..>',
  describe: 'Add names to a local image (a bare name becomes localhost/NAME:latest)',
  builder: (yargs) => yargs.positional('image', { type: 'string', demandOption: true }).positional('names', { type: 'string', array: true, demandOption: true }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { tagImage } = await import('../image/local.js');
    await withStore(ctx, (store) => tagImage(store, argv.image, argv.names));
  },
};

export default tag;
