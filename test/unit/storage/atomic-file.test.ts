import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileVolatile } from '../../../src/storage/atomic-file.js';

function scratch(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-atomic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

for (const [name, write] of [['writeFileAtomic', writeFileAtomic], ['writeFileVolatile', writeFileVolatile]] as const) {
  test(`${name} replaces the content whole, mode 0600, leaving no temporary file`, (t) => {
    const dir = scratch(t);
    const path = join(dir, 'state.json');
    writeFileSync(path, 'old');
    write(path, '{"new":true}\n');
    t.is(readFileSync(path, 'utf8'), '{"new":true}\n');
    t.is(statSync(path).mode & 0o777, 0o600);
    t.deepEqual(readdirSync(dir), ['state.json']);
  });

  test(`${name} replaces a symlink at the target instead of writing through it`, (t) => {
    const dir = scratch(t);
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(dir, 'state.json'));
    write(join(dir, 'state.json'), 'new');
    t.is(readFileSync(victim, 'utf8'), 'keep');
    t.is(readFileSync(join(dir, 'state.json'), 'utf8'), 'new');
  });

  test(`${name} fails naming the missing directory and leaves nothing behind`, (t) => {
    const dir = scratch(t);
    const err = t.throws(() => write(join(dir, 'missing', 'state.json'), 'x'));
    t.regex(err!.message, /\/missing\/.*ENOENT/);
    t.deepEqual(readdirSync(dir), []);
  });
}
