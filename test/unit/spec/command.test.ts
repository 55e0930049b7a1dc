import test from 'ava';
import { UsageError } from '../../../src/errors.js';
import { resolveCommand, type ImageCommand } from '../../../src/spec/command.js';

const img: ImageCommand = { Entrypoint: ['/entry'], Cmd: ['default', 'args'] };
const cmdOnly: ImageCommand = { Cmd: ['/bin/sh'] };

const cases: [string, ImageCommand, string[] | undefined, string[], string[]][] = [
  ['image entrypoint + cmd', img, undefined, [], ['/entry', 'default', 'args']],
  ['user args replace Cmd, keep Entrypoint', img, undefined, ['x'], ['/entry', 'x']],
  ['--entrypoint drops the image Cmd', img, ['/other'], [], ['/other']],
  ['--entrypoint with args', img, ['/other'], ['a'], ['/other', 'a']],
  ['--entrypoint "" with args runs the args', img, [''], ['sh', '-c', 'id'], ['sh', '-c', 'id']],
  ['--entrypoint \'[]\' (empty, not [""]) keeps the image Cmd, as podman', img, [], [], ['default', 'args']],
  ['Cmd only', cmdOnly, undefined, [], ['/bin/sh']],
  ['Cmd only, user args', cmdOnly, undefined, ['ls'], ['ls']],
  ['JSON entrypoint with several words', {}, ['/bin/sh', '-c'], ['echo hi'], ['/bin/sh', '-c', 'echo hi']],
  ['null fields from a config', { Entrypoint: null, Cmd: null }, undefined, ['true'], ['true']],
];
for (const [name, image, ep, args, expected] of cases) {
  test(name, (t) => {
    t.deepEqual(resolveCommand(image, ep, args), expected);
  });
}

const empty: [string, ImageCommand, string[] | undefined, string[]][] = [
  ['no entrypoint, no cmd, no args', {}, undefined, []],
  ['--entrypoint "" and no args (the image Cmd is not used)', img, [''], []],
  ['an image Cmd of [""]', { Cmd: [''] }, undefined, []],
];
for (const [name, image, ep, args] of empty) {
  test(`error: ${name}`, (t) => {
    t.throws(() => resolveCommand(image, ep, args), { instanceOf: UsageError, message: /no command specified/ });
  });
}

test('the image arrays are not mutated', (t) => {
  const image = { Entrypoint: ['/e'], Cmd: ['c'] };
  resolveCommand(image, undefined, []);
  t.deepEqual(image, { Entrypoint: ['/e'], Cmd: ['c'] });
});
