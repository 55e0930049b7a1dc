import test from 'ava';
import type { CommandModule } from 'yargs';
import { describeCommand } from '../../../src/cli/completion-spec.js';
import { buildCommandTable } from '../../../src/cli/completion-table.js';
import { commandWordIndex, completeWords, type CompletionSources, type NamedObject } from '../../../src/cli/completion-words.js';
import { GLOBAL_FLAGS } from '../../../src/cli/completion-table.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = CommandModule<any, any>;

const noop = () => {};
const run: AnyModule = {
  command: 'run <image> [command..]',
  describe: 'Run a command',
  builder: (y) =>
    y.parserConfiguration({ 'populate--': true }).positional('image', { type: 'string' }).options({
      env: { alias: 'e', type: 'string', array: true, describe: 'Set a variable' },
      'env-file': { type: 'string', array: true },
      volume: { alias: 'v', type: 'string', array: true },
      network: { alias: 'net', type: 'string' },
      'security-opt': { type: 'string', array: true },
      platform: { type: 'string' },
      tty: { alias: 't', type: 'boolean' },
      interactive: { alias: 'i', type: 'boolean' },
      rm: { type: 'boolean' },
    }),
  handler: noop,
};
const stop: AnyModule = { command: 'stop <containers..>', describe: 'Stop containers', builder: (y) => y.option('time', { alias: 't', type: 'number' }), handler: noop };
const inspect: AnyModule = { command: 'inspect <images..>', describe: 'Inspect', builder: (y) => y.option('format', { alias: 'f', type: 'string' }), handler: noop };
const ls: AnyModule = { command: 'ls', aliases: ['list'], describe: 'List', handler: noop };
const image: AnyModule = { command: 'image <command>', describe: 'Manage images', builder: (y) => y.command([inspect, ls]).demandCommand(1), handler: noop };
const importCmd: AnyModule = { command: 'import <source> [reference]', describe: 'Import', handler: noop };
const hidden: AnyModule = { command: '__secret', describe: false, handler: noop };
const shell: AnyModule = { command: 'completion <shell>', describe: 'Script', builder: (y) => y.positional('shell', { choices: ['bash', 'zsh'] }), handler: noop };

const table = buildCommandTable([run, stop, image, importCmd, hidden, shell], (name) => name === 'run');

const images: NamedObject[] = [
  { id: 'a'.repeat(64), names: ['docker.io/library/debian:12', 'localhost/app:1'] },
  { id: 'b'.repeat(64), names: ['quay.io/x/app:1'] },
  { id: 'c'.repeat(64), names: [] },
];
const containers: NamedObject[] = [{ id: 'd'.repeat(64), names: ['happy_otter'], detail: 'debian:12' }];

function sources(seenRoots: (string | undefined)[] = []): CompletionSources {
  return {
    images: (root) => (seenRoots.push(root), images),
    containers: (root) => (seenRoots.push(root), containers),
    paths: (partial, dirsOnly) => ['/etc/', '/etc/hosts', '/tmp/'].filter((p) => p.startsWith(partial) && (!dirsOnly || p.endsWith('/'))),
  };
}

const values = (words: string[], src = sources()) => completeWords(words, table, src).map((c) => c.value);

test('describeCommand reads names, aliases, positionals, flags and subcommands from the module', (t) => {
  const spec = describeCommand(image);
  t.is(spec.name, 'image');
  t.deepEqual(spec.positionals, [{ name: 'command', variadic: false }]);
  t.deepEqual(spec.subcommands.map((s) => [s.name, s.aliases]), [['inspect', []], ['ls', ['list']]]);
  const runSpec = describeCommand(run);
  t.deepEqual(runSpec.positionals.map((p) => [p.name, p.variadic]), [['image', false], ['command', true]]);
  const env = runSpec.flags.find((f) => f.name === 'env')!;
  t.deepEqual([env.aliases, env.takesValue, env.repeatable, env.describe], [['e'], true, true, 'Set a variable']);
  t.false(runSpec.flags.find((f) => f.name === 'rm')!.takesValue);
});

test('a builder that throws keeps what it declared', (t) => {
  const broken: AnyModule = { command: 'x <image>', describe: 'x', builder: (y) => { y.option('ok', { type: 'string' }); throw new Error('needs real yargs'); }, handler: noop };
  t.deepEqual(describeCommand(broken).flags.map((f) => f.name), ['ok']);
});

test('the real command modules introspect: run has its container flags, image has its verbs', async (t) => {
  const { loadCommands } = await import('../../../src/cli/commands.js');
  const real = buildCommandTable(await loadCommands(undefined), () => false);
  const runSpec = real.root.subcommands.find((c) => c.name === 'run')!;
  t.true(runSpec.flags.some((f) => f.name === 'volume' && f.aliases.includes('v')));
  t.true(runSpec.flags.some((f) => f.name === 'platform'));
  t.true(real.root.subcommands.find((c) => c.name === 'image')!.subcommands.some((c) => c.name === 'inspect'));
  t.true(real.root.subcommands.find((c) => c.name === '__complete')!.hidden);
});

test('command words: visible commands only, then subcommands', (t) => {
  t.deepEqual(values(['']), ['run', 'stop', 'image', 'import', 'completion']);
  t.deepEqual(values(['im']), ['image', 'import']);
  t.deepEqual(values(['image', '']), ['inspect', 'ls']);
  t.deepEqual(values(['--root', '/r', 'st']), ['stop']);
  t.deepEqual(values(['completion', '']), ['bash', 'zsh']);
});

test('flags of the command being typed, long and short, with global ones', (t) => {
  t.deepEqual(values(['run', '--ne']), ['--network', '--net']);
  t.deepEqual(values(['stop', '-']), ['--time', '-t', '--root', '--runroot', '--log-level', '--storage-opt', '--help', '-h']);
  t.deepEqual(values(['image', 'inspect', '--f']), ['--format']);
  t.deepEqual(values(['--ver']), ['--version']);
  // A flag given once is not offered again; a repeatable one is.
  t.deepEqual(values(['run', '--rm', '--r']), ['--root', '--runroot']);
  t.deepEqual(values(['run', '-e', 'A=1', '--en']), ['--env', '--env-file']);
});

test('enumerable flag values, as the next word and after =', (t) => {
  t.deepEqual(values(['run', '--network', '']), ['none', 'host']);
  t.deepEqual(values(['run', '--net=h']), ['--net=host']);
  t.deepEqual(values(['--log-level', 'd']), ['debug']);
  t.deepEqual(values(['--log-level=']), ['--log-level=error', '--log-level=warn', '--log-level=info', '--log-level=debug']);
  t.true(values(['run', '--platform', 'linux/arm']).includes('linux/arm64'));
  t.deepEqual(values(['image', 'inspect', '-f', '']), ['json']);
});

test('paths: --env-file, the host part of -v, seccomp= and import source; not the container part', (t) => {
  t.deepEqual(values(['run', '--env-file', '/e']), ['/etc/', '/etc/hosts']);
  t.deepEqual(values(['run', '-v', '/e']), ['/etc/', '/etc/hosts']);
  t.deepEqual(values(['run', '-v', '/etc:/']), []);
  t.deepEqual(values(['run', '-v', '/etc:/x:']), ['/etc:/x:ro', '/etc:/x:rw']);
  t.deepEqual(values(['run', '--security-opt', 's']), ['seccomp=unconfined', 'seccomp=']);
  t.deepEqual(values(['run', '--security-opt=seccomp=/t']), ['--security-opt=seccomp=/tmp/']);
  t.deepEqual(values(['import', '/etc/h']), ['/etc/hosts']);
  t.deepEqual(values(['import', 'x', '']), []);
  t.deepEqual(values(['--root', '']), ['/etc/', '/tmp/']);
});

test('images: names, unique short names, IDs once something is typed; from the --root on the line', (t) => {
  const roots: (string | undefined)[] = [];
  t.deepEqual(values(['--root', '/store', 'run', ''], sources(roots)), ['docker.io/library/debian:12', 'debian:12', 'localhost/app:1', 'app:1', 'quay.io/x/app:1', 'x/app:1']);
  t.deepEqual(roots, ['/store']);
  t.deepEqual(values(['image', 'inspect', 'd']), ['docker.io/library/debian:12', 'debian:12']);
  t.deepEqual(values(['run', '-it', '--rm', 'c']), ['cccccccccccc']);
  t.deepEqual(values(['image', 'inspect', 'x', 'a']), ['app:1', 'aaaaaaaaaaaa']);
  const described = completeWords(['run', 'deb'], table, sources());
  t.deepEqual(described, [{ value: 'debian:12', description: 'image aaaaaaaaaaaa' }]);
});

test('containers: a positional named containers completes names and IDs', (t) => {
  t.deepEqual(values(['stop', '']), ['happy_otter']);
  t.deepEqual(values(['stop', 'happy_otter', 'd']), ['dddddddddddd']);
  t.deepEqual(values(['stop', '-t', '5', 'h']), ['happy_otter']);
});

test('after run IMAGE, the words belong to the container', (t) => {
  t.deepEqual(values(['run', 'debian', '']), []);
  t.deepEqual(values(['run', '-e', 'A', 'debian', '--ne']), []);
  t.deepEqual(values(['run', '--network', 'none', '-t', 'debian', 'sh', '-']), []);
});

test('the command word index skips global flags and their values', (t) => {
  t.is(commandWordIndex(['--root', '/r', '--log-level=debug', 'run', 'x'], GLOBAL_FLAGS), 3);
  t.is(commandWordIndex(['--root'], GLOBAL_FLAGS), -1);
  t.is(commandWordIndex(['-h', 'images'], GLOBAL_FLAGS), 1);
});
