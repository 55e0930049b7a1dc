import test from 'ava';
import { capabilitiesFromMask, parseProcLimits } from '../../../src/runtime/host-facts.js';

test('parseProcLimits reads soft and hard limits, unlimited as Infinity', (t) => {
  const text = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max open files            1024                 524288               files     ',
    'Max processes             95000                95000                processes ',
  ].join('\n');
  const limits = parseProcLimits(text);
  t.deepEqual(limits.RLIMIT_NOFILE, { soft: 1024, hard: 524288 });
  t.deepEqual(limits.RLIMIT_CPU, { soft: Infinity, hard: Infinity });
  t.deepEqual(limits.RLIMIT_NPROC, { soft: 95000, hard: 95000 });
  t.false('RLIMIT_CORE' in limits);
});

test('capabilitiesFromMask decodes podman\'s default set', (t) => {
  const caps = capabilitiesFromMask('00000000800405fb');
  t.deepEqual(caps, ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_SETFCAP']);
});
