// What a flag's value or a positional completes to, chosen by name so that a
// new command with a `<container>` positional or an `--env-file` flag gets the
// same completion without registering anything.
import { KNOWN_CAPABILITIES } from '../spec/capabilities.js';

/** How to complete one word. */
export type ValueSource =
  | { kind: 'words'; words: readonly string[]; /** A word starting with a key completes the rest with that source (`seccomp=` + a path). */ keyed?: Readonly<Record<string, ValueSource>> }
  | { kind: 'paths'; dirsOnly: boolean }
  | { kind: 'images' }
  | { kind: 'containers' }
  /** Parts joined by `separator`, each completed by its own source (`HOST:CONTAINER:OPTIONS`); undefined parts complete nothing. */
  | { kind: 'split'; separator: string; parts: readonly (ValueSource | undefined)[] };

/** Common os/arch[/variant] pairs of multi-platform images (the OCI image index `platform` values). */
export const COMMON_PLATFORMS = ['linux/amd64', 'linux/arm64', 'linux/arm/v7', 'linux/arm/v6', 'linux/386', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64'] as const;

const files: ValueSource = { kind: 'paths', dirsOnly: false };
const dirs: ValueSource = { kind: 'paths', dirsOnly: true };
const words = (list: readonly string[]): ValueSource => ({ kind: 'words', words: list });
const unique = (list: readonly string[]) => [...new Set(list)];
const capabilities = words(['ALL', ...KNOWN_CAPABILITIES]);

const FLAG_VALUES: Readonly<Record<string, ValueSource>> = {
  root: dirs,
  runroot: dirs,
  'env-file': files,
  network: words(['none', 'host']),
  userns: words(['keep-id']),
  platform: words(COMMON_PLATFORMS),
  os: words(unique(COMMON_PLATFORMS.map((platform) => platform.split('/')[0]!))),
  arch: words(unique(COMMON_PLATFORMS.map((platform) => platform.split('/')[1]!))),
  variant: words(unique(COMMON_PLATFORMS.flatMap((platform) => platform.split('/').slice(2)))),
  format: words(['json']),
  'cap-add': capabilities,
  'cap-drop': capabilities,
  volume: { kind: 'split', separator: ':', parts: [files, undefined, words(['ro', 'rw'])] },
  'security-opt': { kind: 'words', words: ['no-new-privileges', 'no-new-privileges=false', 'seccomp=unconfined', 'seccomp='], keyed: { 'seccomp=': files } },
};

const POSITIONAL_VALUES: Readonly<Record<string, ValueSource>> = {
  image: { kind: 'images' },
  images: { kind: 'images' },
  container: { kind: 'containers' },
  containers: { kind: 'containers' },
  source: files,
  file: files,
  files,
  path: files,
};

/** How the value of flag `name` completes; `choices` declared in yargs win over the table. */
export function flagValueSource(name: string, choices?: readonly string[]): ValueSource | undefined {
  if (choices !== undefined) return words(choices);
  return Object.hasOwn(FLAG_VALUES, name) ? FLAG_VALUES[name] : undefined;
}

/** How positional `name` completes (`<container>`, `[images..]`...). */
export function positionalValueSource(name: string): ValueSource | undefined {
  return Object.hasOwn(POSITIONAL_VALUES, name) ? POSITIONAL_VALUES[name] : undefined;
}
