// `hutch container cleanup ID` (hidden): the native monitor's exit command.
// It keeps the exit status, deletes the runtime state and removes --rm containers.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { withStore } from './session.js';

/** Options of `hutch container cleanup`. */
export interface CleanupOptions extends GlobalOptions {
  container: string;
}

const containerCleanup: CommandModule<GlobalOptions, CleanupOptions> = {
  command: 'cleanup <container>',
  describe: false,
  builder: (yargs) => yargs.positional('container', { type: 'string', demandOption: true }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { cleanupContainer } = await import('../runtime/lifecycle.js');
    await cleanupContainer(ctx.paths, argv.container, (fn) => withStore(ctx, fn));
  },
};

export default containerCleanup;
