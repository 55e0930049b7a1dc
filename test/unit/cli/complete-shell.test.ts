import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { completionWords, formatCandidates } from '../../../src/cli/complete.js';

const repo = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const main = join(repo, 'src/cli/main.ts');

function store(): string {
  const root = mkdtempSync(join(tmpdir(), 'hutch-complete-shell-'));
  const id = '1'.repeat(64);
  mkdirSync(join(root, 'images'));
  writeFileSync(join(root, 'images', `${id}.json`), '{}');
  writeFileSync(join(root, 'names.json'), JSON.stringify({ 'docker.io/library/debian:12': `sha256:${id}` }));
  return root;
}

// Calls _hutch as bash would on Tab: COMP_WORDS split at ':' and '=' (bash's COMP_WORDBREAKS), the cursor at the end.
function bashComplete(line: string, words: string[]): string[] {
  const script = [
    `hutch() { node --import tsx ${JSON.stringify(main)} "$@"; }`,
    `source ${JSON.stringify(join(repo, 'completions/hutch.bash'))}`,
    'COMP_LINE=$1; COMP_POINT=${#COMP_LINE}; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))',
    '_hutch',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const result = spawnSync('bash', ['-c', script, 'bash', line, ...words], { cwd: repo, encoding: 'utf8' });
  return result.stdout.split('\n').filter(Boolean);
}

test('the words are taken verbatim after __complete --', (t) => {
  t.deepEqual(completionWords(['__complete', '--', 'run', '-', '08', '']), ['run', '-', '08', '']);
  t.deepEqual(completionWords(['other']), []);
});

test('candidates print one a line, a tab before a one-line description', (t) => {
  t.is(formatCandidates([{ value: 'run', description: 'Run\ta\ncommand' }, { value: 'x' }, { value: '' }]), 'run\tRun a command\nx\n');
});

test('bash: commands, flags, values after = and :, and image names from --root', (t) => {
  const root = store();
  t.deepEqual(bashComplete('hutch im', ['hutch', 'im']), ['images', 'import', 'image']);
  t.deepEqual(bashComplete('hutch run --netw', ['hutch', 'run', '--netw']), ['--network']);
  // bash replaces only the text after the last '=' or ':', so the candidates are cut there.
  t.deepEqual(bashComplete('hutch images --format=', ['hutch', 'images', '--format', '=']), ['json']);
  t.deepEqual(bashComplete('hutch run -v /tmp:/x:r', ['hutch', 'run', '-v', '/tmp', ':', '/x', ':', 'r']), ['ro', 'rw']);
  t.deepEqual(bashComplete(`hutch --root ${root} rmi deb`, ['hutch', '--root', root, 'rmi', 'deb']), ['debian:12']);
  t.deepEqual(bashComplete(`hutch --root ${root} image inspect docker.io/library/d`, ['hutch', '--root', root, 'image', 'inspect', 'docker.io/library/d']), ['docker.io/library/debian:12']);
});

test('hutch completion prints the scripts in completions/', (t) => {
  for (const [shell, file] of [['bash', 'hutch.bash'], ['zsh', '_hutch'], ['fish', 'hutch.fish']]) {
    const result = spawnSync(process.execPath, ['--import', 'tsx', main, 'completion', shell!], { cwd: repo, encoding: 'utf8' });
    t.is(result.stdout, readFileSync(join(repo, 'completions', file!), 'utf8'));
  }
});
