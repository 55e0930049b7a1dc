// Container IDs and names: 64 hex digits like podman, short form 12, and
// generated adjective_noun names when --name is not given.
import { randomBelow, randomHex } from '../random.js';
import { UsageError } from '../errors.js';

/** podman's rule for container names. */
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A new random container ID: 64 lowercase hex digits. */
export function newContainerId(): string {
  return randomHex(32);
}

/** Throws a UsageError unless `name` follows podman's container-name rule. */
export function validateContainerName(name: string): string {
  if (!NAME_PATTERN.test(name) || name.length > 253) {
    throw new UsageError(`invalid container name ${JSON.stringify(name)}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 253 characters)`);
  }
  if (/^[0-9a-f]{64}$/.test(name)) {
    throw new UsageError(`invalid container name ${JSON.stringify(name)}: a name may not look like a full container ID`);
  }
  return name;
}

const ADJECTIVES = [
  'agile', 'bold', 'brave', 'bright', 'calm', 'clever', 'cool', 'crisp', 'curious', 'daring', 'eager', 'elated',
  'fervent', 'fond', 'gallant', 'gentle', 'happy', 'hopeful', 'jolly', 'keen', 'kind', 'lively', 'loyal', 'lucid',
  'merry', 'modest', 'nifty', 'noble', 'patient', 'plucky', 'quiet', 'quirky', 'serene', 'sharp', 'snug', 'steady',
  'stoic', 'sunny', 'swift', 'tender', 'tidy', 'upbeat', 'vivid', 'warm', 'wise', 'witty', 'zealous', 'zen',
];
const NOUNS = [
  'badger', 'beaver', 'bunny', 'burrow', 'cedar', 'comet', 'cricket', 'falcon', 'fern', 'finch', 'fox', 'gecko',
  'hare', 'hedgehog', 'heron', 'hutch', 'ibis', 'kestrel', 'lark', 'lemur', 'lynx', 'maple', 'marmot', 'meadow',
  'mole', 'newt', 'otter', 'owl', 'panda', 'pebble', 'puffin', 'quail', 'rabbit', 'raven', 'robin', 'sparrow',
  'squirrel', 'stoat', 'swift', 'thistle', 'vole', 'walrus', 'weasel', 'willow', 'wombat', 'wren', 'yak', 'zebra',
];

/** A generated adjective_noun name not in `taken`; a numeric suffix resolves collisions. */
export function generateName(taken: ReadonlySet<string>): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = `${ADJECTIVES[randomBelow(ADJECTIVES.length)]}_${NOUNS[randomBelow(NOUNS.length)]}`;
    const name = attempt < 50 ? base : `${base}${attempt}`;
    if (!taken.has(name)) return name;
  }
  return `hutch_${randomHex(6)}`;
}
