import test from 'ava';
import { generateEtcFiles, resolvConfFor } from '../../../src/runtime/etc-files.js';

test('private network drops loopback nameservers and keeps the rest', (t) => {
  const host = 'search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\noptions edns0\n';
  t.is(resolvConfFor(host, 'none'), 'search example.org\nnameserver 10.0.0.2\noptions edns0\n');
  t.is(resolvConfFor(host, 'host'), host);
});

test('hosts and hostname name the container', (t) => {
  const files = generateEtcFiles({ hostname: 'abc123', hostResolvConf: '', network: 'none' });
  t.is(files['/etc/hostname'], 'abc123\n');
  t.regex(files['/etc/hosts'], /^127\.0\.0\.1\tlocalhost$/m);
  t.regex(files['/etc/hosts'], /^127\.0\.1\.1\tabc123$/m);
});

test('host network keeps the host hosts file and adds the hostname', (t) => {
  const files = generateEtcFiles({ hostname: 'h', hostResolvConf: '', network: 'host', hostHosts: '127.0.0.1 localhost\n10.1.1.1 db\n' });
  t.is(files['/etc/hosts'], '127.0.0.1 localhost\n10.1.1.1 db\n127.0.1.1\th\n');
});
