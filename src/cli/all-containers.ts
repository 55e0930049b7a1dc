// The container arguments of a command, or with --all every container in a
// given state (podman's -a on stop, kill, rm, start...).
import { UsageError } from '../errors.js';
import type { ContainerState } from '../runtime/container-state.js';
import { readContainerState, stateLocation } from '../runtime/container-state.js';
import { listContainers } from '../runtime/container-store.js';
import type { Context } from './context.js';

/** The names given, or with `all` the full IDs of the containers whose state `select` accepts. */
export function containerInputs(ctx: Context, given: readonly string[] | undefined, all: boolean | undefined, select: (state: ContainerState) => boolean): string[] {
  if (all) {
    if (given && given.length > 0) throw new UsageError('--all and container names cannot be used together');
    return listContainers(ctx.paths.root)
      .filter((record) => select(readContainerState(stateLocation(ctx.paths, record.id))))
      .map((record) => record.id);
  }
  if (!given || given.length === 0) throw new UsageError('at least one container name or ID is required (or --all)');
  return [...given];
}
