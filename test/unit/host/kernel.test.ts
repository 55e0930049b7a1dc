import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSysctl, readUsernsSysctls } from '../../../src/host/kernel.js';

test('sysctls are read from /proc/sys paths; absent ones are null', async (t) => {
  const procSys = mkdtempSync(join(tmpdir(), 'hutch-procsys-'));
  mkdirSync(join(procSys, 'kernel'));
  mkdirSync(join(procSys, 'user'));
  writeFileSync(join(procSys, 'kernel', 'unprivileged_userns_clone'), '0\n');
  writeFileSync(join(procSys, 'user', 'max_user_namespaces'), '15000\n');
  t.deepEqual(await readUsernsSysctls(procSys), {
    unprivilegedUsernsClone: 0,
    maxUserNamespaces: 15000,
    apparmorRestrictUnprivilegedUserns: null,
  });
  writeFileSync(join(procSys, 'kernel', 'garbage'), 'x\n');
  t.is(await readSysctl('kernel.garbage', procSys), null);
});
