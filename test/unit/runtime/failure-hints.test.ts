import test from 'ava';
import { failureHints } from '../../../src/runtime/failure-hints.js';

const healthy = { unprivilegedUsernsClone: null, maxUserNamespaces: 15000, apparmorRestrictUnprivilegedUserns: null };
const ranges = [{ start: 100000, count: 65536 }];

test('a healthy host gives no hint', (t) => {
  t.deepEqual(failureHints({ sysctls: healthy, subuidRanges: ranges, rootless: true }), []);
});

test('each known cause is named with its fix', (t) => {
  t.regex(failureHints({ sysctls: { ...healthy, apparmorRestrictUnprivilegedUserns: 1 }, subuidRanges: ranges, rootless: true })[0]!, /AppArmor.*apparmor_restrict_unprivileged_userns/);
  t.regex(failureHints({ sysctls: { ...healthy, unprivilegedUsernsClone: 0 }, subuidRanges: ranges, rootless: true })[0]!, /unprivileged_userns_clone=1/);
  t.regex(failureHints({ sysctls: { ...healthy, maxUserNamespaces: 0 }, subuidRanges: ranges, rootless: true })[0]!, /max_user_namespaces/);
  t.regex(failureHints({ sysctls: healthy, subuidRanges: [], rootless: true })[0]!, /subordinate id range/);
  t.deepEqual(failureHints({ sysctls: healthy, subuidRanges: [], rootless: false }), []);
});
