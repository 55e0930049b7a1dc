// `hutch image <command>`: the image management group (podman's `image` verbs).
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './context.js';
import pull from './pull.js';
import { imagesCommand } from './images.js';
import imageInspect from './image-inspect.js';
import imagePrune from './image-prune.js';
import { rmiCommand } from './rmi.js';
import tag from './tag.js';

const image: CommandModule<GlobalOptions, GlobalOptions> = {
  command: 'image <command>',
  describe: 'Manage images',
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  builder: (yargs) => yargs.command([pull, imagesCommand('ls', ['list']), imageInspect, imagePrune, rmiCommand('rm'), tag] as CommandModule<GlobalOptions, any>[]).demandCommand(1),
  handler: () => {},
};

export default image;
