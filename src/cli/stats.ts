// `hutch stats [--no-stream] [--format] [CONTAINER...]`: CPU, memory, network,
// block I/O and process counts of running (and paused) containers, from their
// own cgroup when they have one, else from /proc (src/runtime/stats.ts).
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';

/** Options of `hutch stats`. */
export interface StatsOptions extends GlobalOptions {
  containers?: string[];
  'no-stream'?: boolean;
  format?: string;
  interval?: number;
}

const HEADERS = ['ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET IO', 'BLOCK IO', 'PIDS'];

const stats: CommandModule<GlobalOptions, StatsOptions> = {
  command: 'stats [containers..]',
  describe: 'Show CPU, memory, network and block I/O use of running containers',
  builder: (yargs) =>
    yargs
      .positional('containers', { type: 'string', array: true, describe: 'Containers (default: all running ones)' })
      .option('no-stream', { type: 'boolean', describe: 'Print one sample and exit' })
      .option('format', { type: 'string', describe: '`json` or a template such as {{.Name}} {{.CPUPerc}}' })
      .option('interval', { alias: 'i', type: 'number', default: 1, describe: 'Seconds between samples' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const [lifecycle, { listContainers }, { sampleContainer, statsRow }, { formatRows, humanSize }] = await Promise.all([
      import('../runtime/lifecycle.js'),
      import('../runtime/container-store.js'),
      import('../runtime/stats.js'),
      import('./format.js'),
    ]);
    const targets = (argv.containers && argv.containers.length > 0 ? argv.containers.map((input) => lifecycle.resolveContainer(ctx.paths, input)) : listContainers(ctx.paths.root).map((record) => ({ record, state: lifecycle.currentState(ctx.paths, record.id) })))
      .filter(({ record, state }) => {
        if (state.pid !== null && (state.status === 'running' || state.status === 'paused')) return true;
        if (argv.containers && argv.containers.length > 0) throw new lifecycle.ContainerStateError(`stats can only be read from running containers: ${record.name} is ${state.status}`);
        return false;
      });
    const intervalMs = Math.max(0.1, argv.interval ?? 1) * 1000;
    let before = targets.map(({ state }) => sampleContainer(state.pid!, state.cgroupDir));
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, argv['no-stream'] ? Math.min(intervalMs, 500) : intervalMs));
      const after = targets.map(({ state }) => sampleContainer(state.pid!, state.cgroupDir));
      const rows = targets.map(({ record }, i) => statsRow(record.id, record.name, before[i]!, after[i]!, humanSize) as unknown as Record<string, unknown>);
      const output = formatRows(rows, argv.format, { headers: HEADERS, cells: (row) => ['ID', 'Name', 'CPUPerc', 'MemUsage', 'MemPerc', 'NetIO', 'BlockIO', 'PIDs'].map((k) => String(row[k])) });
      // A live view redraws in place, as podman does; one sample just prints.
      process.stdout.write(`${argv['no-stream'] || !process.stdout.isTTY ? '' : '\x1b[2J\x1b[H'}${output}\n`);
      if (argv['no-stream']) return;
      before = after;
    }
  },
};

export default stats;
