// `hutch system <command>`: storage-wide maintenance (podman's `system` verbs).
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './context.js';
import info from './info.js';
import systemDf from './system-df.js';
import systemPrune from './system-prune.js';

const system: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'system <command>',
  describe: 'Manage hutch storage and show host information',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  builder: (yargs) => yargs.command([systemDf, systemPrune, info] as CommandModule<GlobalOptions, any>[]).demandCommand(1),
  handler: () => {},
};

export default system;
