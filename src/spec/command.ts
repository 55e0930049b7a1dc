// The container's argv from the image's Entrypoint/Cmd and the user's
// --entrypoint and arguments, exactly as podman's makeCommand does.
import { UsageError } from '../errors.js';

/** The parts of the image config that decide the command. */
export interface ImageCommand {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
}

/**
 * Resolves the process arguments. The image's Cmd is used only when the user
 * gave neither arguments nor an entrypoint; user arguments replace Cmd; an
 * entrypoint of exactly [""] (`--entrypoint ""`) contributes nothing.
 */
export function resolveCommand(image: ImageCommand, entrypoint: string[] | undefined, args: string[]): string[] {
  const ep = entrypoint ?? image.Entrypoint ?? [];
  const result = ep.length === 1 && ep[0] === '' ? [] : [...ep];
  const cmd = args.length === 0 && (entrypoint === undefined || entrypoint.length === 0) ? image.Cmd ?? [] : args;
  result.push(...cmd);
  if (result.length === 0 || result[0] === '') {
    throw new UsageError('no command specified: the image has no Entrypoint or Cmd and none was given', {
      hint: 'add a command after the image name, e.g. `hutch run IMAGE sh`, or use --entrypoint',
    });
  }
  return result;
}
