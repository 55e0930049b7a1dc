// The container's environment, merged as podman does (CompleteSpec and
// libpod's generateSpec): defaults < image Env < TERM for a tty < the user's
// --env-file/-e values; then HOSTNAME and HOME when still unset.

/** The PATH a container gets when neither the image nor the user sets one. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What the environment is built from. */
export interface EnvInput {
  /** The image config's Env (`K=V` strings). */
  imageEnv: readonly string[] | null | undefined;
  /** --env-file and -e, already merged in order (later wins). */
  userEnv: Readonly<Record<string, string>>;
  tty: boolean;
  hostname: string;
  /** The resolved user's home directory (passwd), used when HOME is unset. */
  home: string;
}

/** Builds process.env as `K=V` strings. */
export function buildEnv(input: EnvInput): string[] {
  // podman sets container=podman so software can tell it runs in a container (systemd reads it); hutch names itself.
  const env = new Map<string, string>([
    ['PATH', DEFAULT_PATH],
    ['container', 'hutch'],
  ]);
  for (const entry of input.imageEnv ?? []) {
    const eq = entry.indexOf('=');
    // image-spec: Env entries are VARNAME=VARVALUE; anything else carries no value to set.
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  if (input.tty && !env.has('TERM')) env.set('TERM', 'xterm');
  for (const [k, v] of Object.entries(input.userEnv)) env.set(k, v);
  if (!env.has('HOSTNAME')) env.set('HOSTNAME', input.hostname);
  if (!env.has('HOME')) env.set('HOME', input.home);
  return [...env].map(([k, v]) => `${k}=${v}`);
}
