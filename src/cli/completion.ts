// `hutch completion bash|zsh|fish`: prints the shell's completion script
// (the files in completions/, which call `hutch __complete`).
import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import type { GlobalOptions } from './context.js';

/** Shells with a script in completions/, and its file name there. */
export const COMPLETION_SCRIPTS = { bash: 'hutch.bash', zsh: '_hutch', fish: 'hutch.fish' } as const;

type Shell = keyof typeof COMPLETION_SCRIPTS;

/** Options of `hutch completion`. */
export interface CompletionOptions extends GlobalOptions {
  shell: Shell;
}

const completion: CommandModule<GlobalOptions, CompletionOptions> = {
  command: 'completion <shell>',
  describe: 'Print the shell completion script for bash, zsh or fish',
  builder: (yargs) => yargs.positional('shell', { choices: Object.keys(COMPLETION_SCRIPTS) as Shell[], demandOption: true, describe: 'The shell' }),
  handler: (argv) => {
    // completions/ sits beside dist/ (and src/) in the package.
    process.stdout.write(readFileSync(new URL(`../../completions/${COMPLETION_SCRIPTS[argv.shell]}`, import.meta.url), 'utf8'));
  },
};

export default completion;
