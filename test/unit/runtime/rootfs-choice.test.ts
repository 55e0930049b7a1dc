import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { decideRootfs } from '../../../src/runtime/rootfs-choice.js';

function scratchRoot(): string {
  return mkdtempSync(join(tmpdir(), 'hutch-rootfs-choice-'));
}

function expectedKey(root: string): string {
  return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${release()} ${statSync(root).dev}\n`;
}

test('a successful overlay probe is remembered for this boot, kernel and filesystem; a stale record is probed again', async (t) => {
  const root = scratchRoot();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const record = join(root, 'overlay-probe');
  writeFileSync(record, 'another-boot 1.0.0 1\n');
  const first = await decideRootfs({ root, runroot: '' }, {}, {});
  if (first.mode !== 'overlay') {
    t.false(readFileSync(record, 'utf8') === expectedKey(root), 'a failed probe must not be remembered as a success');
    t.pass(`kernel overlay does not work here (${first.reason}): only the failure path is checked`);
    return;
  }
  t.is(readFileSync(record, 'utf8'), expectedKey(root));
  const again = await decideRootfs({ root, runroot: '' }, {}, {});
  t.deepEqual(again, first);
});

test('a forced mode neither probes nor writes a record', async (t) => {
  const root = scratchRoot();
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const choice = await decideRootfs({ root, runroot: '' }, { mode: 'copy', source: 'HUTCH_ROOTFS_MODE' }, {});
  t.is(choice.mode, 'copy');
  t.throws(() => statSync(join(root, 'overlay-probe')));
});
