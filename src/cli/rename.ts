// `hutch rename CONTAINER NEW_NAME`: names stay unique (checked under the store lock).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch rename`. */
export interface RenameOptions extends GlobalOptions {
  container: string;
  name: string;
}

const rename: CommandModule<GlobalOptions, RenameOptions> = {
  command: 'rename <container> <name>',
  describe: 'Rename a container',
  builder: (yargs) => yargs.positional('container', { type: 'string', demandOption: true }).positional('name', { type: 'string', demandOption: true }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { renameContainer } = await import('../runtime/container-store.js');
    await withStore(ctx, (store) => renameContainer(store, argv.container, argv.name));
  },
};

export default rename;
