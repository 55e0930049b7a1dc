// The list of top-level commands, one module each. Command modules stay thin
// and import their engine lazily inside the handler.
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './context.js';
import doctor from './doctor.js';
import image from './image.js';
import images from './images.js';
import info from './info.js';
import pull from './pull.js';
import rmi from './rmi.js';
import run from './run.js';
import { containerFlags } from './run-flags.js';
import system from './system.js';
import tag from './tag.js';

// yargs types each module by its own options; the list is heterogeneous by design.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<GlobalOptions, any>[] = [run, pull, images, rmi, tag, image, system, info, doctor];

/** Commands whose arguments after the first positional belong to the container, with their boolean flags. */
export function commandBooleanFlags(command: string): ReadonlySet<string> | undefined {
  if (command !== 'run') return undefined;
  return new Set(Object.entries(containerFlags).flatMap(([name, option]) => (option.type === 'boolean' ? [name, ...('alias' in option ? [option.alias] : [])] : [])));
}
