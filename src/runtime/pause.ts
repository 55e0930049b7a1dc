// pause/unpause: the cgroup v2 freezer of the container's own cgroup, which
// hutch-runtime makes when the caller's cgroup sits in a subtree delegated to
// the user. A container without one is refused with the reason, after the
// usual state checks, changing nothing.
import { HostError } from '../errors.js';
import type { HutchPaths } from '../paths.js';
import { ContainerStateError, resolveContainer } from './lifecycle.js';

/** Freezes (`pause`) or thaws (`unpause`) a container given by name or ID. */
export async function freezeContainer(paths: HutchPaths, input: string, verb: 'pause' | 'unpause'): Promise<void> {
  const { record, state } = resolveContainer(paths, input);
  if (verb === 'pause' && state.status === 'paused') throw new ContainerStateError(`${record.name} is already paused: container state improper`);
  if (verb === 'pause' && state.status !== 'running') throw new ContainerStateError(`${record.name} is ${state.status}: only running containers can be paused: container state improper`);
  if (verb === 'unpause' && state.status !== 'paused') throw new ContainerStateError(`${record.name} is ${state.status}, not paused: container state improper`);
  if (state.cgroupDir === undefined) throw await noCgroupError(record.name);
  const { setCgroupFrozen } = await import('./cgroup.js');
  await setCgroupFrozen(state.cgroupDir, verb === 'pause');
}

// Why there is no cgroup: what the host lacks now, or else the place the container was started from.
async function noCgroupError(name: string): Promise<HostError> {
  const { cgroupProblem, currentCgroupUser, inspectCgroups } = await import('../host/cgroup.js');
  const found = cgroupProblem(await inspectCgroups(currentCgroupUser()), []);
  const what = `cannot pause ${name}: pausing freezes the container's own cgroup (the cgroup v2 freezer), and ${name} has none`;
  if (found !== null) return new HostError('ENOFREEZER', `${what}: ${found.problem}`, { hint: `${found.hint}; then restart the container. Or stop it (\`hutch stop\`), or send it SIGSTOP with \`hutch kill -s STOP\`` });
  return new HostError('ENOFREEZER', `${what}: it was started where no cgroup of its own could be made`, { hint: `restart it from here (\`hutch restart ${name}\`) to give it one` });
}
