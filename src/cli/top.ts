// `hutch top CONTAINER`: the processes running in a container (podman's default columns).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';

/** Options of `hutch top`. */
export interface TopOptions extends GlobalOptions {
  container: string;
}

// Go's time.Duration formatting, which podman's ELAPSED and TIME columns use.
function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const sec = `${Number(s.toFixed(3))}s`;
  return h > 0 ? `${h}h${m}m${sec}` : m > 0 ? `${m}m${sec}` : sec;
}

const top: CommandModule<GlobalOptions, TopOptions> = {
  command: 'top <container>',
  describe: 'Show the processes running in a container',
  builder: (yargs) => yargs.positional('container', { type: 'string', demandOption: true }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [lifecycle, { listContainerProcesses }, { readContainerSpec }, { renderTable }] = await Promise.all([
      import('../runtime/lifecycle.js'),
      import('../runtime/top.js'),
      import('../runtime/container-inspect.js'),
      import('./format.js'),
    ]);
    const { record, state } = lifecycle.resolveContainer(ctx.paths, argv.container);
    if (state.status !== 'running' || state.pid === null) {
      throw new lifecycle.ContainerStateError(`top can only be used on running containers: ${record.name} is ${state.status}`);
    }
    const spec = readContainerSpec(ctx.paths.root, record.id);
    const rows = listContainerProcesses(state.pid, spec?.linux?.uidMappings ?? []);
    const cells = rows.map((p) => [p.user, String(p.pid), String(p.ppid), p.cpuPercent.toFixed(3), goDuration(p.elapsedSeconds), p.tty, goDuration(Math.round(p.cpuSeconds)), p.command]);
    process.stdout.write(`${renderTable(['USER', 'PID', 'PPID', '%CPU', 'ELAPSED', 'TTY', 'TIME', 'COMMAND'], cells)}\n`);
  },
};

export default top;
