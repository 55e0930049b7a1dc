import test from 'ava';
import { DEFAULT_PATH, buildEnv, type EnvInput } from '../../../src/spec/env.js';

const base: EnvInput = { imageEnv: [], userEnv: {}, tty: false, hostname: 'abc123', home: '/root' };

function asMap(env: string[]): Record<string, string> {
  return Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

test('defaults: PATH, container=hutch, HOSTNAME, HOME', (t) => {
  t.deepEqual(buildEnv(base), [`PATH=${DEFAULT_PATH}`, 'container=hutch', 'HOSTNAME=abc123', 'HOME=/root']);
});

test('image Env overrides defaults; user env overrides the image', (t) => {
  const env = asMap(buildEnv({ ...base, imageEnv: ['PATH=/img/bin', 'A=img', 'B=img', 'JUNK'], userEnv: { B: 'user', C: '' } }));
  t.is(env.PATH, '/img/bin');
  t.is(env.A, 'img');
  t.is(env.B, 'user');
  t.is(env.C, '');
  t.false('JUNK' in env);
});

test('TERM=xterm only with a tty and only when unset', (t) => {
  t.false('TERM' in asMap(buildEnv(base)));
  t.is(asMap(buildEnv({ ...base, tty: true })).TERM, 'xterm');
  t.is(asMap(buildEnv({ ...base, tty: true, imageEnv: ['TERM=vt100'] })).TERM, 'vt100');
  t.is(asMap(buildEnv({ ...base, tty: true, userEnv: { TERM: 'dumb' } })).TERM, 'dumb');
});

test('HOME and HOSTNAME from the image or user are kept', (t) => {
  const env = asMap(buildEnv({ ...base, imageEnv: ['HOME=/srv'], userEnv: { HOSTNAME: 'mine' } }));
  t.is(env.HOME, '/srv');
  t.is(env.HOSTNAME, 'mine');
});

test('values with = survive', (t) => {
  t.is(asMap(buildEnv({ ...base, imageEnv: ['X=a=b'] })).X, 'a=b');
});
