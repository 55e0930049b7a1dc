// Runs a pull with the progress display the situation calls for (Ink bars on
// a terminal, plain lines otherwise, nothing with -q) and Ctrl-C handling.
// Shared by `pull`, and by `run`/`create` when the image is missing.
import { parseCredsFlag } from '../image/credentials.js';
import { parsePlatformFlags } from '../image/platform.js';
import { pullImage, type PullResult } from '../image/pull.js';
import { silentReporter, type PullReporter } from '../image/pull-events.js';
import type { Store } from '../storage/store.js';
import { plainReporter } from './plain-progress.js';
import { interruptSignal } from './session.js';

/** The pull-related flags as yargs parsed them. */
export interface PullFlagValues {
  image: string;
  platform?: string;
  arch?: string;
  os?: string;
  variant?: string;
  'tls-verify'?: boolean;
  creds?: string;
}

async function chooseReporter(quiet: boolean, interactive: boolean): Promise<PullReporter> {
  if (quiet) return silentReporter;
  if (interactive && process.stderr.isTTY) {
    const { inkReporter } = await import('../tui/pull-progress.js');
    return inkReporter(process.stderr);
  }
  return plainReporter(process.stderr);
}

/** Pulls `flags.image` into `store`, showing progress unless quiet. */
export async function pullWithProgress(store: Store, flags: PullFlagValues, display: { quiet: boolean; interactive: boolean }): Promise<PullResult> {
  const platform = parsePlatformFlags({
    ...(flags.platform !== undefined ? { platform: flags.platform } : {}),
    ...(flags.arch !== undefined ? { arch: flags.arch } : {}),
    ...(flags.os !== undefined ? { os: flags.os } : {}),
    ...(flags.variant !== undefined ? { variant: flags.variant } : {}),
  });
  const credentials = flags.creds !== undefined ? parseCredsFlag(flags.creds) : undefined;
  const reporter = await chooseReporter(display.quiet, display.interactive);
  const interrupt = interruptSignal();
  try {
    return await pullImage(store, {
      input: flags.image,
      platform,
      ...(flags['tls-verify'] !== undefined ? { tlsVerify: flags['tls-verify'] } : {}),
      ...(credentials ? { credentials } : {}),
      reporter,
      signal: interrupt.signal,
    });
  } catch (err) {
    throw interrupt.signal.aborted ? interrupt.signal.reason : err;
  } finally {
    reporter.close();
    interrupt.dispose();
  }
}
