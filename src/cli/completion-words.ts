// The completion engine: given the words typed after `hutch` (the last one
// partial) and the command table, what may come next. Pure: the store and the
// filesystem are reached through CompletionSources.
import type { CommandSpec, FlagSpec } from './completion-spec.js';
import { flagValueSource, positionalValueSource, type ValueSource } from './completion-values.js';

/** One completion: the word, and what it is (zsh and fish show it). */
export interface Candidate {
  value: string;
  description?: string;
}

/** An image or container as completion offers it. */
export interface NamedObject {
  /** Hex ID (64 digits, no `sha256:`). */
  id: string;
  names: string[];
  /** Shown beside the ID and the names (a container's image). */
  detail?: string;
}

/** Where dynamic names come from; `root` is the --root typed earlier on the line, if any. */
export interface CompletionSources {
  images(root: string | undefined): NamedObject[];
  containers(root: string | undefined): NamedObject[];
  /** Paths starting with `partial`, directories ending in `/`. */
  paths(partial: string, dirsOnly: boolean): string[];
}

/** The commands under `hutch` (root) and the flags every command accepts. */
export interface CommandTable {
  root: CommandSpec;
  globals: FlagSpec[];
}

const SHORT_ID = 12;

function visibleFlags(table: CommandTable, command: CommandSpec): FlagSpec[] {
  return [...command.flags, ...table.globals];
}

function findFlag(table: CommandTable, command: CommandSpec, name: string): FlagSpec | undefined {
  return visibleFlags(table, command).find((flag) => flag.name === name || flag.aliases.includes(name));
}

function findSubcommand(command: CommandSpec, word: string): CommandSpec | undefined {
  return command.subcommands.find((sub) => sub.name === word || sub.aliases.includes(word));
}

/** Index of the command word in `words` (skipping global flags and their values), or -1. */
export function commandWordIndex(words: readonly string[], globals: readonly FlagSpec[]): number {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('-') || word === '-') return i;
    if (word.includes('=')) continue;
    const name = word.replace(/^--?/, '');
    if (globals.find((flag) => flag.name === name || flag.aliases.includes(name))?.takesValue) i++;
  }
  return -1;
}

// Image names as podman resolves them locally: `docker.io/library/debian:12`
// is also reached as `debian:12`, `localhost/app:1` as `app:1` (src/image/lookup.ts),
// but only while no other stored name has the same short form.
function shortImageName(name: string): string | undefined {
  const slash = name.indexOf('/');
  if (slash < 0) return undefined;
  const short = name.slice(slash + 1);
  return name.startsWith('docker.io/library/') ? short.slice('library/'.length) : short;
}

function namedCandidates(objects: readonly NamedObject[], partial: string, what: string, shortNames: boolean): Candidate[] {
  const candidates: Candidate[] = [];
  const shortCounts = new Map<string, number>();
  if (shortNames) {
    for (const object of objects) {
      for (const name of object.names) {
        const short = shortImageName(name);
        if (short !== undefined) shortCounts.set(short, (shortCounts.get(short) ?? 0) + 1);
      }
    }
  }
  for (const object of objects) {
    const id = object.id.slice(0, SHORT_ID);
    const about = [what, id, object.detail].filter(Boolean).join(' ');
    for (const name of object.names) {
      candidates.push({ value: name, description: about });
      const short = shortNames ? shortImageName(name) : undefined;
      if (short !== undefined && shortCounts.get(short) === 1) candidates.push({ value: short, description: about });
    }
    // IDs only once some of one is typed: a list of hex strings hides the names.
    if (partial !== '') candidates.push({ value: id, description: [what, ...object.names, object.detail].filter(Boolean).join(' ') });
  }
  const seen = new Set<string>();
  return candidates.filter((candidate) => candidate.value.startsWith(partial) && !seen.has(candidate.value) && seen.add(candidate.value));
}

function completeSource(source: ValueSource, partial: string, root: string | undefined, sources: CompletionSources): Candidate[] {
  switch (source.kind) {
    case 'words': {
      const key = Object.keys(source.keyed ?? {}).find((prefix) => partial.startsWith(prefix));
      if (key !== undefined) return prefixed(key, completeSource(source.keyed![key]!, partial.slice(key.length), root, sources));
      return source.words.filter((word) => word.startsWith(partial)).map((value) => ({ value }));
    }
    case 'paths':
      return sources.paths(partial, source.dirsOnly).map((value) => ({ value }));
    case 'images':
      return namedCandidates(sources.images(root), partial, 'image', true);
    case 'containers':
      return namedCandidates(sources.containers(root), partial, 'container', false);
    case 'split': {
      const at = partial.lastIndexOf(source.separator);
      const index = partial.split(source.separator).length - 1;
      const part = source.parts[index];
      if (part === undefined) return [];
      const before = at < 0 ? '' : partial.slice(0, at + source.separator.length);
      return prefixed(before, completeSource(part, partial.slice(before.length), root, sources));
    }
  }
}

function prefixed(prefix: string, candidates: Candidate[]): Candidate[] {
  return candidates.map((candidate) => ({ ...candidate, value: prefix + candidate.value }));
}

function flagSpellings(flag: FlagSpec): string[] {
  return [flag.name, ...flag.aliases].map((name) => (name.length === 1 ? `-${name}` : `--${name}`));
}

function flagCandidates(table: CommandTable, command: CommandSpec, partial: string, used: ReadonlySet<string>): Candidate[] {
  return visibleFlags(table, command)
    .filter((flag) => flag.repeatable || !used.has(flag.name))
    .flatMap((flag) => flagSpellings(flag).map((value): Candidate => (flag.describe !== undefined ? { value, description: flag.describe } : { value })))
    .filter((candidate) => candidate.value.startsWith(partial));
}

function valueCandidates(flag: FlagSpec, partial: string, prefix: string, root: string | undefined, sources: CompletionSources): Candidate[] {
  const source = flagValueSource(flag.name, flag.choices);
  return source ? prefixed(prefix, completeSource(source, partial, root, sources)) : [];
}

/** Candidates for the last of `words` (the words after `hutch`, the last one being typed). */
export function completeWords(words: readonly string[], table: CommandTable, sources: CompletionSources): Candidate[] {
  const typed = words.length > 0 ? words.slice(0, -1) : [];
  const partial = words.at(-1) ?? '';
  let command = table.root;
  let positional = 0;
  let pending: FlagSpec | undefined;
  let afterSeparator = false;
  let passThrough = false;
  let root: string | undefined;
  const used = new Set<string>();
  const takeValue = (flag: FlagSpec, value: string) => {
    if (flag.name === 'root') root = value;
  };
  for (const word of typed) {
    if (pending) {
      takeValue(pending, word);
      pending = undefined;
    } else if (passThrough) {
      continue;
    } else if (word === '--' && !afterSeparator) {
      afterSeparator = true;
    } else if (word.startsWith('--') && !afterSeparator) {
      const [name = '', value] = splitOnce(word.slice(2), '=');
      const flag = findFlag(table, command, name);
      if (!flag) continue;
      used.add(flag.name);
      if (value !== undefined) takeValue(flag, value);
      else if (flag.takesValue) pending = flag;
    } else if (word.startsWith('-') && word !== '-' && !afterSeparator) {
      // Bundled short flags (-it); a letter that takes a value takes the rest of the word, or the next word.
      const letters = word.slice(1);
      for (let i = 0; i < letters.length; i++) {
        const flag = findFlag(table, command, letters[i]!);
        if (!flag) break;
        used.add(flag.name);
        if (!flag.takesValue) continue;
        if (i + 1 < letters.length) takeValue(flag, letters.slice(i + 1).replace(/^=/, ''));
        else pending = flag;
        break;
      }
    } else {
      const sub = positional === 0 && !afterSeparator ? findSubcommand(command, word) : undefined;
      if (sub) {
        command = sub;
        used.clear();
        continue;
      }
      positional++;
      if (command.passThroughAfterFirstPositional) passThrough = true;
    }
  }
  if (pending) return valueCandidates(pending, partial, '', root, sources);
  if (passThrough) return [];
  if (!afterSeparator && partial.startsWith('--') && partial.includes('=')) {
    const [name = '', value = ''] = splitOnce(partial.slice(2), '=');
    const flag = findFlag(table, command, name);
    return flag?.takesValue ? valueCandidates(flag, value, `--${name}=`, root, sources) : [];
  }
  if (!afterSeparator && partial.startsWith('-')) return flagCandidates(table, command, partial, used);
  if (positional === 0 && command.subcommands.length > 0) {
    return command.subcommands
      .filter((sub) => !sub.hidden && sub.name.startsWith(partial))
      .map((sub) => (sub.describe !== undefined ? { value: sub.name, description: sub.describe } : { value: sub.name }));
  }
  const last = command.positionals.at(-1);
  const spec = command.positionals[positional] ?? (last?.variadic ? last : undefined);
  const source = spec?.choices !== undefined ? ({ kind: 'words', words: spec.choices } as const) : spec ? positionalValueSource(spec.name) : undefined;
  return source ? completeSource(source, partial, root, sources) : [];
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}
