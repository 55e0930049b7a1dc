// A small image for `hutch run` e2e tests: static busybox (with the applets the
// tests use), the reporter binary, /etc/passwd and /etc/group with root and a
// user 1000, and files owned by that user. Written as an OCI layout and pulled
// into a store owned by the test user, once per test file.
import { readFile, rm } from 'node:fs/promises';
import { buildImage, writeOciLayout, type BuiltImage, type LayerEntry } from './image-builder.js';
import { hutch, makeStore, type HutchStore } from './installed-cli.js';
import { parseReport, reporterBinary } from './reporter.js';
import { makeTestUserDir, type RunResult } from './test-user.js';

/** A pulled run image and the store that holds it. */
export interface RunImage {
  /** The short image ID to pass to `hutch run` (the `oci:` reference would import the layout again on every run). */
  ref: string;
  store: HutchStore;
  image: BuiltImage;
  /** Removes the store and the OCI layout. */
  remove(): Promise<void>;
}

/** What a test can add to the standard image. */
export interface RunImageOptions {
  /** Entries appended after the standard ones (same layer). */
  extraEntries?: LayerEntry[];
  /** Paths of standard entries to leave out (to replace them with hostile ones). */
  without?: string[];
  config?: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; User?: string; WorkingDir?: string };
}

/** The busybox applets linked into /bin. */
export const APPLETS = [
  'sh', 'cat', 'ls', 'id', 'echo', 'touch', 'rm', 'stat', 'sleep', 'kill', 'hostname', 'ps', 'mkdir', 'ip',
  'env', 'pwd', 'test', 'true', 'false', 'readlink', 'tty', 'wc', 'grep', 'head', 'tr', 'mount', 'unshare', 'chmod', 'nc',
] as const;

/** Content of the image's /etc/motd, changed by overlay tests in their own containers. */
export const MOTD = 'original motd\n';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n';
const GROUP = 'root:x:0:\nstaff:x:50:user\nuser:x:1000:\n';

/** The standard entries of the run image (busybox, reporter, /etc, a home of uid 1000). */
export async function runImageEntries(): Promise<LayerEntry[]> {
  const [busybox, reporter] = await Promise.all([readFile('/bin/busybox'), readFile(await reporterBinary())]);
  return [
    ...['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home', 'run', 'var', 'var/tmp', 'data'].map(
      (path): LayerEntry => ({ type: 'dir', path, mode: path === 'tmp' || path === 'var/tmp' ? 0o1777 : 0o755 }),
    ),
    { type: 'file', path: 'bin/busybox', content: busybox, mode: 0o755 },
    ...APPLETS.map((name): LayerEntry => ({ type: 'symlink', path: `bin/${name}`, target: 'busybox' })),
    { type: 'file', path: 'bin/reporter', content: reporter, mode: 0o755 },
    { type: 'file', path: 'bin/not-executable', content: '#!/bin/sh\necho should not run\n', mode: 0o644 },
    { type: 'file', path: 'etc/passwd', content: PASSWD },
    { type: 'file', path: 'etc/group', content: GROUP },
    { type: 'file', path: 'etc/motd', content: MOTD },
    { type: 'dir', path: 'home/user', mode: 0o750, uid: 1000, gid: 1000 },
    { type: 'file', path: 'home/user/owned', content: 'mine\n', mode: 0o600, uid: 1000, gid: 1000 },
  ];
}

/** Builds the run image (plus `extraEntries`), writes it as an OCI layout and pulls it into a fresh store. */
export async function prepareRunImage(options: RunImageOptions = {}): Promise<RunImage> {
  const standard = (await runImageEntries()).filter((e) => !(options.without ?? []).includes(e.path));
  const entries = [...standard, ...(options.extraEntries ?? [])];
  const image = await buildImage({
    layers: [{ compression: 'gzip', entries }],
    config: { Cmd: ['/bin/reporter'], Env: ['PATH=/bin', 'IMAGE_VAR=from-image'], ...options.config },
  });
  const layoutDir = await makeTestUserDir('hutch-e2e-run-image-');
  await writeOciLayout(layoutDir, image, 'latest');
  const store = await makeStore();
  const source = `oci:${layoutDir}:latest`;
  const pulled = await hutch(['pull', '--quiet', source], { store, timeout: 120_000 });
  if (pulled.exitCode !== 0) {
    await store.remove();
    throw new Error(`hutch pull ${source} failed (${pulled.exitCode}):\n${pulled.stderr}`);
  }
  return {
    ref: image.configDigest.slice('sha256:'.length, 'sha256:'.length + 12),
    store,
    image,
    remove: async () => {
      await store.remove();
      await rm(layoutDir, { recursive: true, force: true });
    },
  };
}

/** Runs `hutch run --rm [flags] IMAGE [command]` against the image's store. */
export function runIn(image: RunImage, flags: readonly string[], command: readonly string[] = [], options: { env?: Record<string, string>; input?: string; timeout?: number; cwd?: string } = {}): Promise<RunResult> {
  return hutch(['run', '--rm', ...flags, image.ref, ...command], { store: image.store, timeout: 60_000, ...options });
}

/** Runs the reporter with `args` in a new container and parses its JSON; throws with hutch's stderr when it fails. */
export async function report<T>(image: RunImage, flags: readonly string[], args: readonly string[]): Promise<T> {
  const result = await runIn(image, flags, ['/bin/reporter', ...args]);
  if (result.exitCode !== 0) throw new Error(`hutch run ${[...flags, '/bin/reporter', ...args].join(' ')} exited ${result.exitCode}:\n${result.stderr}${result.stdout}`);
  return parseReport<T>(result.stdout);
}
