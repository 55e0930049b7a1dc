// Pull progress as plain lines, for `-q`-less runs without a terminal: one
// line per state change that matters, in podman's wording.
import type { LayerUpdate, PullReporter } from '../image/pull-events.js';
import { shortDigest } from './short-id.js';

/** Creates a reporter writing podman-style lines to `out`. */
export function plainReporter(out: NodeJS.WritableStream = process.stderr): PullReporter {
  const announced = new Map<string, string>();
  const say = (line: string) => out.write(`${line}\n`);
  return {
    resolved() {
      say('Getting image source signatures');
    },
    layer(update: LayerUpdate) {
      const previous = announced.get(update.digest);
      if (previous === update.state) return;
      announced.set(update.digest, update.state);
      if (update.state === 'downloading' && previous === undefined) say(`Copying blob ${shortDigest(update.digest)}`);
      if (update.state === 'exists') say(`Copying blob ${shortDigest(update.digest)} skipped: already exists`);
      if (update.state === 'done') say(`Copying blob ${shortDigest(update.digest)} done`);
    },
    note: say,
    done() {
      say('Writing manifest to image destination');
    },
    close() {},
  };
}
