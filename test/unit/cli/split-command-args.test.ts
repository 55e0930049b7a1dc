import test from 'ava';
import { UsageError } from '../../../src/errors.js';
import { insertSeparatorAfterFirstPositional, type CommandFlags } from '../../../src/cli/split-command-args.js';

const flags: CommandFlags = {
  booleans: new Set(['i', 't', 'interactive', 'tty', 'rm', 'read-only']),
  values: new Set(['e', 'env', 'name', 'v', 'volume']),
};

test('inserts -- after the image, keeping the container command intact', (t) => {
  t.deepEqual(insertSeparatorAfterFirstPositional(['run', '--rm', 'img', 'ls', '-la'], 0, flags), ['run', '--rm', 'img', '--', 'ls', '-la']);
});

test('skips option values, bundled booleans and --x=y forms', (t) => {
  t.deepEqual(insertSeparatorAfterFirstPositional(['run', '-it', '-e', 'A=1', '--name=x', 'img', 'sh'], 0, flags), ['run', '-it', '-e', 'A=1', '--name=x', 'img', '--', 'sh']);
  t.deepEqual(insertSeparatorAfterFirstPositional(['--root', '/r', 'run', '-v', '/a:/b', 'img'], 2, flags), ['--root', '/r', 'run', '-v', '/a:/b', 'img', '--']);
  t.deepEqual(insertSeparatorAfterFirstPositional(['run', '-ie', 'A=1', 'img'], 0, flags), ['run', '-ie', 'A=1', 'img', '--']);
});

test('leaves an explicit -- alone', (t) => {
  t.deepEqual(insertSeparatorAfterFirstPositional(['run', 'img', '--', 'x'], 0, flags), ['run', 'img', '--', 'x']);
});

test('a flag the command does not have is an error naming it, before the image could be taken for its value', (t) => {
  const long = t.throws(() => insertSeparatorAfterFirstPositional(['run', '--rm', '--bad', 'img', 'true'], 0, flags), { instanceOf: UsageError });
  t.is(long.message, 'unknown flag: --bad');
  t.regex(long.hint ?? '', /hutch run --help/);
  t.is(t.throws(() => insertSeparatorAfterFirstPositional(['run', '-iz', 'img'], 0, flags))?.message, 'unknown flag: -z');
  t.is(t.throws(() => insertSeparatorAfterFirstPositional(['run', '--bad=1', 'img'], 0, flags))?.message, 'unknown flag: --bad');
});

test('flags after the image belong to the container and are not checked', (t) => {
  t.deepEqual(insertSeparatorAfterFirstPositional(['run', 'img', 'ls', '--bad'], 0, flags), ['run', 'img', '--', 'ls', '--bad']);
});
