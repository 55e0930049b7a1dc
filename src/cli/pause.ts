// `hutch pause` / `hutch unpause`: freezing needs the cgroup v2 freezer of
// the container's own cgroup. hutch-runtime does not place containers in
// cgroups (rootless cgroups need a delegated subtree), so both are refused
// with the reason, after the usual state checks, changing nothing.
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
    describe: verb === 'pause' ? 'Pause all processes in containers (needs the cgroup v2 freezer)' : 'Unpause paused containers',
    builder: (yargs) => yargs.positional('containers', { type: 'string', array: true, demandOption: true }),
    handler: async (argv) => {
      const ctx = createContext(argv);
      const lifecycle = await import('../runtime/lifecycle.js');
      const { HostError } = await import('../errors.js');
      await forEachInput(argv.containers, async (input) => {
        const { record, state } = lifecycle.resolveContainer(ctx.paths, input);
        if (verb === 'pause' && state.status !== 'running') throw new lifecycle.ContainerStateError(`${record.name} is ${state.status}: only running containers can be paused: container state improper`);
        if (verb === 'unpause' && state.status !== 'paused') throw new lifecycle.ContainerStateError(`${record.name} is ${state.status}, not paused: container state improper`);
        throw new HostError('ENOFREEZER', `cannot pause ${record.name}: rootless pausing needs the cgroup v2 freezer of the container's own cgroup, and hutch-runtime does not place containers in cgroups`, {
          hint: 'stop the container (`hutch stop`) instead, or send it SIGSTOP with `hutch kill -s STOP`',
        });
      });
    },
  };
}

export default pauseCommand('pause');
