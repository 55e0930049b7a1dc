import test from 'ava';
import { insertSeparatorAfterFirstPositional } from '../../../src/cli/split-command-args.js';

const booleans = new Set(['i', 't', 'interactive', 'tty', 'rm', 'read-only']);

test('inserts -- after the image, keeping the container command intact', (t) => {
  t.deepEqual(insertSeparatorAfterFirstPositional(['run', '--rm', 'img', 'ls', '-la'], 0, booleans), ['run', '--rm', 'img', '--', 'ls', '-la']);
});

test('skips option values, bundled booleans and --x=y forms', (t) => {
  t.deepEqual(insertSeparatorAfterFirstPositional(['run', '-it', '-e', 'A=1', '--name=x', 'img', 'sh'], 0, booleans), ['run', '-it', '-e', 'A=1', '--name=x', 'img', '--', 'sh']);
  t.deepEqual(insertSeparatorAfterFirstPositional(['--root', '/r', 'run', '-v', '/a:/b', 'img'], 2, booleans), ['--root', '/r', 'run', '-v', '/a:/b', 'img', '--']);
});

test('leaves an explicit -- alone', (t) => {
  t.deepEqual(insertSeparatorAfterFirstPositional(['run', 'img', '--', 'x'], 0, booleans), ['run', 'img', '--', 'x']);
});
