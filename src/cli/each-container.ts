// Commands that take several containers (stop, kill, rm, start, wait...)
// act on each in turn as podman does: a failure is printed and the rest
// still run; the exit code reflects the failures at the end.
import { HutchError, NotFoundError } from '../errors.js';
import { reportError } from './exit-codes.js';

/** Outcome of acting on every input. */
export interface EachOutcome {
  failed: number;
  /** Inputs that named no container. */
  notFound: number;
}

/** Runs `fn` for each input, printing errors instead of stopping at the first. */
export async function forEachInput(inputs: readonly string[], fn: (input: string) => Promise<void>): Promise<EachOutcome> {
  const outcome: EachOutcome = { failed: 0, notFound: 0 };
  for (const input of inputs) {
    try {
      await fn(input);
    } catch (err) {
      if (!(err instanceof HutchError)) throw err;
      reportError(err);
      outcome.failed++;
      if (err instanceof NotFoundError) outcome.notFound++;
    }
  }
  if (outcome.failed > 0) process.exitCode = 125;
  return outcome;
}
