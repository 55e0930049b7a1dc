import test from 'ava';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listPaths, readContainers, readImages } from '../../../src/cli/completion-sources.js';

function fakeStore(): string {
  const root = mkdtempSync(join(tmpdir(), 'hutch-complete-'));
  mkdirSync(join(root, 'images'));
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  writeFileSync(join(root, 'images', `${a}.json`), '{}');
  writeFileSync(join(root, 'images', `${b}.json`), '{}');
  writeFileSync(join(root, 'images', 'junk.json'), '{}');
  writeFileSync(join(root, 'names.json'), JSON.stringify({ 'docker.io/library/debian:12': `sha256:${a}`, 'localhost/app:1': `sha256:${a}`, 'gone:1': `sha256:${'f'.repeat(64)}` }));
  const c = 'c'.repeat(64);
  mkdirSync(join(root, 'containers', c), { recursive: true });
  writeFileSync(join(root, 'containers', c, 'container.json'), JSON.stringify({ id: c, name: 'happy_otter', image: { name: 'debian:12' } }));
  // A container being created (no record yet) and a broken record are skipped.
  mkdirSync(join(root, 'containers', 'd'.repeat(64)));
  mkdirSync(join(root, 'containers', 'e'.repeat(64)));
  writeFileSync(join(root, 'containers', 'e'.repeat(64), 'container.json'), '{"name":');
  return root;
}

test('images come from images/*.json and names.json without opening the store', (t) => {
  const root = fakeStore();
  t.deepEqual(readImages(root), [
    { id: 'a'.repeat(64), names: ['docker.io/library/debian:12', 'localhost/app:1'] },
    { id: 'b'.repeat(64), names: [] },
  ]);
});

test('containers come from containers/*/container.json; unreadable ones are skipped', (t) => {
  t.deepEqual(readContainers(fakeStore()), [{ id: 'c'.repeat(64), names: ['happy_otter'], detail: 'debian:12' }]);
});

test('a missing or unreadable store yields nothing and creates nothing', (t) => {
  const root = join(tmpdir(), 'hutch-complete-missing-' + process.pid);
  t.deepEqual(readImages(root), []);
  t.deepEqual(readContainers(root), []);
  const bad = fakeStore();
  writeFileSync(join(bad, 'names.json'), 'not json');
  t.deepEqual(readImages(bad).map((i) => i.names), [[], []]);
});

test('paths: prefix match, trailing / on directories (and links to them), dot files only when asked, ~ and relative', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-complete-paths-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'seccomp.json'), '{}');
  writeFileSync(join(dir, '.hidden'), '');
  symlinkSync(join(dir, 'sub'), join(dir, 'link'));
  t.deepEqual(listPaths(`${dir}/s`, false, '/', '/'), [`${dir}/seccomp.json`, `${dir}/sub/`]);
  t.deepEqual(listPaths(`${dir}/`, true, '/', '/'), [`${dir}/link/`, `${dir}/sub/`]);
  t.deepEqual(listPaths(`${dir}/.h`, false, '/', '/'), [`${dir}/.hidden`]);
  t.deepEqual(listPaths('s', false, dir, '/'), ['seccomp.json', 'sub/']);
  t.deepEqual(listPaths('~/se', false, '/', dir), ['~/seccomp.json']);
  t.deepEqual(listPaths(`${dir}/nope/x`, false, '/', '/'), []);
});
