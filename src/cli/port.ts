// `hutch port [-a] CONTAINER [PRIVATE_PORT[/PROTO]]`: published ports. hutch's
// networks are `none` and `host`, which publish nothing, so the list is empty
// and asking for a port names what is missing, as podman does.
import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import { createContext, type GlobalOptions } from './context.js';

/** Options of `hutch port`. */
export interface PortOptions extends GlobalOptions {
  container?: string;
  port?: string;
  all?: boolean;
}

const port: CommandModule<GlobalOptions, PortOptions> = {
  command: 'port [container] [port]',
  describe: 'List the published ports of a container',
  builder: (yargs) =>
    yargs
      .positional('container', { type: 'string' })
      .positional('port', { type: 'string', describe: 'PRIVATE_PORT[/PROTO]' })
      .option('all', { alias: 'a', type: 'boolean', describe: 'All containers' }),
  handler: async (argv) => {
    if (!argv.all && argv.container === undefined) throw new UsageError('port needs a container name or ID, or --all');
    if (argv.all && argv.container !== undefined) throw new UsageError('--all and a container name cannot be used together');
    const ctx = createContext(argv);
    const { resolveContainer } = await import('../runtime/lifecycle.js');
    if (argv.container !== undefined) resolveContainer(ctx.paths, argv.container);
    if (argv.port !== undefined) {
      const wanted = argv.port.includes('/') ? argv.port : `${argv.port}/tcp`;
      if (!/^\d+\/(tcp|udp|sctp)$/.test(wanted)) throw new UsageError(`invalid port ${JSON.stringify(argv.port)}: expected PORT[/tcp|udp|sctp]`);
      throw new UsageError(`failed to find published port "${wanted}"`, { hint: 'hutch does not publish ports yet (networks: none, host); with --network host the port is the host\'s' });
    }
  },
};

export default port;
