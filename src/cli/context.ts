// The shared factory every command receives (after gh's cmdutil.Factory):
// resolved storage/state paths and the global options. Engine modules are
// imported lazily by the commands that need them, so a plain command never
// pays for loading the registry client, the store or Ink.
import { resolve } from 'node:path';
import { defaultPaths, type HutchPaths } from '../paths.js';
import type { LogLevel } from '../log.js';

/** Options every command accepts. */
export interface GlobalOptions {
  root?: string;
  runroot?: string;
  'log-level': LogLevel;
  /** podman's --storage-opt KEY=VALUE, repeatable (overlay.mount_program). */
  'storage-opt'?: string | string[];
}

/** What a command needs from its surroundings. */
export interface Context {
  paths: HutchPaths;
  logLevel: LogLevel;
  /** Whether stdout is a terminal (decides Ink progress vs plain lines). */
  interactive: boolean;
  /** --storage-opt values, as given. */
  storageOpts: string[];
}

/** Builds the context from parsed global options and the environment. */
export function createContext(argv: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Context {
  const defaults = defaultPaths(env);
  return {
    // Read when asked: creating process.stdout loads tty or net, which `hutch run` need not pay for.
    get interactive() {
      return Boolean(process.stdout.isTTY);
    },
    paths: {
      root: argv.root ? resolve(argv.root) : defaults.root,
      runroot: argv.runroot ? resolve(argv.runroot) : defaults.runroot,
    },
    logLevel: argv['log-level'],
    // yargs gives a repeated option as an array (declared as a string, so it never swallows the command word).
    storageOpts: [argv['storage-opt'] ?? []].flat().map(String),
  };
}
