// Userspace network helpers for rootless containers: pasta (passt) or
// slirp4netns give a private network namespace a route to the outside.
import { findExecutable } from './which.js';

/** Installed network helpers (absolute paths, or null). */
export interface NetworkToolsReport {
  pasta: string | null;
  slirp4netns: string | null;
}

/** Looks up pasta and slirp4netns without running them. */
export async function findNetworkTools(env: NodeJS.ProcessEnv = process.env): Promise<NetworkToolsReport> {
  const [pasta, slirp4netns] = await Promise.all([findExecutable('pasta', env), findExecutable('slirp4netns', env)]);
  return { pasta, slirp4netns };
}
