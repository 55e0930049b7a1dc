// `hutch __complete WORD...` (hidden): what the shell scripts in completions/
// call on Tab. WORD... are the words after `hutch`, the last one being typed;
// prints one candidate per line, `value<TAB>description` where there is one.
// A completion must never disturb the command line, so any failure prints nothing.
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './context.js';

/**
 * The words after `__complete` (and the `--` the scripts put before them),
 * taken from process.argv verbatim: yargs would turn `-` into '' and `08`
 * into 8, and parse flags that belong to the line being completed.
 */
export function completionWords(argv: readonly string[]): string[] {
  const at = argv.indexOf('__complete');
  if (at < 0) return [];
  const rest = argv.slice(at + 1);
  return rest[0] === '--' ? rest.slice(1) : rest;
}

/** Formats candidates for the scripts: tabs and newlines in descriptions would split a line. */
export function formatCandidates(candidates: readonly { value: string; description?: string }[]): string {
  return candidates
    .filter((candidate) => candidate.value !== '' && !/[\t\n]/.test(candidate.value))
    .map((candidate) => (candidate.description ? `${candidate.value}\t${candidate.description.replace(/\s+/g, ' ')}` : candidate.value))
    .map((line) => `${line}\n`)
    .join('');
}

/** Prints the candidates for the words after `__complete` in `argv` (the arguments after `hutch`). */
export async function runCompletion(argv: readonly string[]): Promise<void> {
  try {
    const words = completionWords(argv);
    const [{ loadCommands, PASS_THROUGH_COMMANDS }, { buildCommandTable, GLOBAL_FLAGS }, { commandWordIndex, completeWords }, { fileSources }, { defaultPaths, homeDirectory }] = await Promise.all([
      import('./commands.js'),
      import('./completion-table.js'),
      import('./completion-words.js'),
      import('./completion-sources.js'),
      import('../paths.js'),
    ]);
    // Only the command being typed is loaded, as main.ts does; all of them while its name is still partial.
    const index = commandWordIndex(words, GLOBAL_FLAGS);
    const modules = await loadCommands(index >= 0 && index < words.length - 1 ? words[index] : undefined);
    const table = buildCommandTable(modules, (name) => PASS_THROUGH_COMMANDS.has(name));
    const sources = fileSources(defaultPaths(process.env).root, process.cwd(), homeDirectory());
    process.stdout.write(formatCandidates(completeWords(words.length > 0 ? words : [''], table, sources)));
  } catch {
    // Nothing to offer rather than an error in the middle of the user's command line.
  }
}

const complete: CommandModule<GlobalOptions, GlobalOptions> = {
  command: '__complete [words..]',
  describe: false,
  builder: (yargs) => yargs.parserConfiguration({ 'unknown-options-as-args': true }).strict(false),
  handler: () => runCompletion(process.argv.slice(2)),
};

export default complete;
