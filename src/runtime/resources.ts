// Whether this host can enforce a container's resource limits: they need the
// container in a cgroup of its own, made beside the caller's in a cgroup v2
// subtree delegated to the user, with the controllers the limits use. Refused
// with what is missing rather than run unlimited (the translation itself is
// src/spec/resources.ts; hutch-runtime applies it).
import { HostError } from '../errors.js';
import { cgroupProblem, LIMIT_CONTROLLERS, type CgroupReport } from '../host/cgroup.js';
import { limitFlags, type LinuxResources } from '../spec/resources.js';

/** Throws a HostError naming what is missing when the host cannot enforce `resources` for this user (pure). */
export function requireEnforceable(resources: LinuxResources, report: CgroupReport): void {
  const flags = limitFlags(resources);
  const found = cgroupProblem(report, flags.map((flag) => LIMIT_CONTROLLERS[flag]));
  if (found === null) return;
  throw new HostError('ENORESOURCES', `${flags.join(', ')}: resource limits need the container in a cgroup of its own inside a cgroup v2 subtree delegated to you, but ${found.problem}`, {
    hint: `${found.hint}; or run without resource limits`,
  });
}
