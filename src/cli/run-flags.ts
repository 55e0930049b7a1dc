// The flags `run` and `create` share (podman's names), and their conversion
// to the spec layer's RawRunFlags.
import type { Argv, Options } from 'yargs';
import type { RawRunFlags } from '../spec/run-options.js';
import { pullFlags } from './pull.js';
import type { PullFlagValues } from './pull-with-progress.js';
import { lifecycleFlags } from './detach-flags.js';

/** yargs option definitions for container-creating commands. */
export const containerFlags = {
  ...pullFlags,
  env: { alias: 'e', type: 'string', array: true, nargs: 1, describe: 'Set an environment variable (K=V, or K to copy from the host)' },
  'env-file': { type: 'string', array: true, nargs: 1, describe: 'Read environment variables from a file' },
  volume: { alias: 'v', type: 'string', array: true, nargs: 1, describe: 'Bind mount HOST:CONTAINER[:ro|rw]' },
  mount: { type: 'string', array: true, nargs: 1, describe: 'Mount: type=bind|tmpfs,source=...,target=...[,ro]' },
  tmpfs: { type: 'string', array: true, nargs: 1, describe: 'Mount a tmpfs at PATH[:OPTIONS]' },
  ulimit: { type: 'string', array: true, nargs: 1, describe: 'Resource limit NAME=SOFT[:HARD]' },
  'cap-add': { type: 'string', array: true, nargs: 1, describe: 'Add a capability (or ALL)' },
  'cap-drop': { type: 'string', array: true, nargs: 1, describe: 'Drop a capability (or ALL)' },
  'security-opt': { type: 'string', array: true, nargs: 1, describe: 'no-new-privileges[=false], seccomp=unconfined|PROFILE.json' },
  user: { alias: 'u', type: 'string', describe: 'Run as USER[:GROUP] (names or ids from the image)' },
  workdir: { alias: 'w', type: 'string', describe: 'Working directory inside the container' },
  entrypoint: { type: 'string', describe: 'Override the image entrypoint ("" clears it; JSON array accepted)' },
  hostname: { type: 'string', describe: 'Container hostname (default: the short container ID)' },
  name: { type: 'string', describe: 'Container name' },
  'read-only': { type: 'boolean', describe: 'Mount the root filesystem read-only' },
  'read-only-tmpfs': { type: 'boolean', default: true, describe: 'With --read-only, mount tmpfs on /tmp, /var/tmp and /run' },
  network: { alias: 'net', type: 'string', describe: 'none (default: loopback only) or host' },
  userns: { type: 'string', describe: 'keep-id: your uid/gid appear unchanged inside' },
  init: { type: 'boolean', describe: 'Run a tiny init as pid 1 that forwards signals and reaps zombies' },
  annotation: { type: 'string', array: true, nargs: 1, describe: 'Add an annotation K=V to config.json' },
  tty: { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-terminal' },
  interactive: { alias: 'i', type: 'boolean', describe: 'Keep stdin open' },
  rm: { type: 'boolean', describe: 'Remove the container when it exits' },
  quiet: { alias: 'q', type: 'boolean', describe: 'Do not show pull progress' },
} as const satisfies Record<string, Options>;

/** The values of containerFlags as yargs parsed them. */
export interface ContainerFlagValues extends PullFlagValues {
  command?: (string | number)[];
  env?: string[];
  'env-file'?: string[];
  volume?: string[];
  mount?: string[];
  tmpfs?: string[];
  ulimit?: string[];
  'cap-add'?: string[];
  'cap-drop'?: string[];
  'security-opt'?: string[];
  user?: string;
  workdir?: string;
  entrypoint?: string;
  hostname?: string;
  name?: string;
  'read-only'?: boolean;
  'read-only-tmpfs'?: boolean;
  network?: string;
  userns?: string;
  init?: boolean;
  annotation?: string[];
  tty?: boolean;
  interactive?: boolean;
  rm?: boolean;
  quiet?: boolean;
}

/** Converts parsed flags to the spec layer's input. */
export function toRawRunFlags(argv: ContainerFlagValues): RawRunFlags {
  return {
    env: argv.env,
    envFile: argv['env-file'],
    volume: argv.volume,
    mount: argv.mount,
    tmpfs: argv.tmpfs,
    ulimit: argv.ulimit,
    capAdd: argv['cap-add'],
    capDrop: argv['cap-drop'],
    securityOpt: argv['security-opt'],
    user: argv.user,
    workdir: argv.workdir,
    entrypoint: argv.entrypoint,
    hostname: argv.hostname,
    name: argv.name,
    readOnly: argv['read-only'],
    readOnlyTmpfs: argv['read-only-tmpfs'],
    network: argv.network,
    userns: argv.userns,
    init: argv.init,
    annotation: argv.annotation,
    tty: argv.tty,
    interactive: argv.interactive,
  };
}

/** Every flag of `hutch create`. */
export const createFlags = { ...containerFlags, ...lifecycleFlags } as const satisfies Record<string, Options>;

/** Every flag of `hutch run`: create's, and --detach. */
export const runFlags = {
  ...createFlags,
  detach: { alias: 'd', type: 'boolean', describe: 'Run in the background under a monitor and print the container ID' },
} as const satisfies Record<string, Options>;

/**
 * yargs settings for commands whose words after the first positional are the
 * container's: collected under `--`, and kept as typed (yargs would turn
 * `echo 1e3 0x10` into `echo 1000 16`).
 */
export const CONTAINER_ARGUMENTS_PARSING = { 'populate--': true, 'parse-positional-numbers': false } as const;

/** The arguments `run` and `create` share: IMAGE, the container's command, and `flags`. */
export function containerArguments<T, F extends typeof createFlags>(yargs: Argv<T>, flags: F) {
  return yargs
    .parserConfiguration(CONTAINER_ARGUMENTS_PARSING)
    .positional('image', { type: 'string', demandOption: true, describe: 'Image name or ID, or oci:DIR[:REF]' })
    .positional('command', { type: 'string', array: true, describe: 'Command and arguments (default: the image\'s)' })
    .options(flags);
}
