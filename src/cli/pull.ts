// `hutch pull IMAGE`: download an image into local storage, with Ink progress
// bars on a terminal and plain lines otherwise; prints the image ID.
import type { CommandModule } from 'yargs';
import { createContext, type GlobalOptions } from './context.js';
import type { PullFlagValues } from './pull-with-progress.js';
import { withStore } from './session.js';

/** Options of `hutch pull`. */
export interface PullOptions extends GlobalOptions, PullFlagValues {
  quiet?: boolean;
}

/** The platform/TLS/credential flags shared by `pull` and `run`/`create`. */
export const pullFlags = {
  platform: { type: 'string', describe: 'Pull this platform (os/arch[/variant])' },
  arch: { type: 'string', describe: 'Architecture to pull (e.g. arm64)' },
  os: { type: 'string', describe: 'Operating system to pull' },
  variant: { type: 'string', describe: 'Architecture variant (e.g. v7)' },
  'tls-verify': { type: 'boolean', describe: 'Require HTTPS and verify certificates (default: true, except for loopback and insecure registries)' },
  creds: { type: 'string', describe: 'Credentials USER:PASSWORD for the registry' },
} as const;

const pull: CommandModule<GlobalOptions, PullOptions> = {
  command: 'pull <image>',
  describe: 'Pull an image from a registry (or oci:DIR) into local storage',
  builder: (yargs) =>
    yargs
      .positional('image', { type: 'string', demandOption: true, describe: 'Image reference, e.g. debian:12, or oci:DIR[:REF]' })
      .options(pullFlags)
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print only the image ID' }),
  handler: async (argv) => {
    const ctx = createContext(argv);
    const { pullWithProgress } = await import('./pull-with-progress.js');
    const result = await withStore(ctx, (store) => pullWithProgress(store, argv, { quiet: Boolean(argv.quiet), interactive: ctx.interactive }));
    process.stdout.write(`${result.image.id.replace(/^sha256:/, '')}\n`);
  },
};

export default pull;
