// `hutch pause` / `hutch unpause`: freeze or thaw every process of running
// containers through the cgroup v2 freezer (src/runtime/pause.ts).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import { forEachInput } from './each-container.js';

/** Options of `hutch pause` and `hutch unpause`. */
export interface PauseOptions extends GlobalOptions {
  containers: string[];
}

/** Builds `pause` or `unpause`. */
export function pauseCommand(verb: 'pause' | 'unpause'): CommandModule<GlobalOptions, PauseOptions> {
  return {
    command: `${verb} <containers..>`,
    describe: verb === 'pause' ? 'Pause all processes in containers (needs a delegated cgroup v2 subtree)' : 'Unpause paused containers',
    builder: (yargs) => yargs.positional('containers', { type: 'string', array: true, demandOption: true }),
    handler: async (argv) => {
      const ctx = createContext(argv);
      const { freezeContainer } = await import('../runtime/pause.js');
      await forEachInput(argv.containers, async (input) => {
        await freezeContainer(ctx.paths, input, verb);
        process.stdout.write(`${input}\n`);
      });
    },
  };
}

export default pauseCommand('pause');
