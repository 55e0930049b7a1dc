// The one place where failures become exit codes and printed messages,
// following podman: 125 for hutch's own errors, 126 when the container
// command cannot be invoked, 127 when it is not found; otherwise the
// container's own exit status.
import {
  CannotInvokeError,
  CommandNotFoundError,
  HutchError,
  InterruptedError,
  fromNodeError,
} from '../errors.js';

/** podman's exit codes for failures that are not the container's own. */
export const EXIT = {
  ok: 0,
  hutchError: 125,
  cannotInvoke: 126,
  notFound: 127,
  interrupted: 130,
} as const;

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CannotInvokeError) return EXIT.cannotInvoke;
  if (err instanceof CommandNotFoundError) return EXIT.notFound;
  if (err instanceof InterruptedError) return EXIT.interrupted;
  return EXIT.hutchError;
}

/** Formats an error for the terminal: "Error: message", its causes, then the hint. */
export function formatError(err: unknown, verbose = false): string {
  const e = err instanceof HutchError ? err : fromNodeError(err);
  const lines = [`Error: ${e.message}`];
  let cause = e.cause;
  const seen = new Set<unknown>([e]);
  while (cause instanceof Error && !seen.has(cause)) {
    seen.add(cause);
    if (!e.message.includes(cause.message)) lines.push(`  caused by: ${cause.message}`);
    cause = cause.cause;
  }
  if (e.hint) lines.push(`Hint: ${e.hint}`);
  if (verbose && e.stack) lines.push(e.stack);
  return lines.join('\n');
}

/** Prints an error to stderr and sets process.exitCode accordingly. */
export function reportError(err: unknown, verbose = false): number {
  const code = exitCodeFor(err);
  process.stderr.write(`${formatError(err, verbose)}\n`);
  process.exitCode = code;
  return code;
}
