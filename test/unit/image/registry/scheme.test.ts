import test from 'ava';
import { apiHostFor, hostnameOf, isLoopbackHost, selectScheme } from '../../../../src/image/registry/scheme.js';

test('loopback hosts are recognised with and without a port', (t) => {
  for (const host of ['localhost', 'localhost:5000', 'LOCALHOST', '127.0.0.1', '127.0.0.1:5000', '127.255.3.4:80', '[::1]', '[::1]:5000', '::1']) {
    t.true(isLoopbackHost(host), host);
  }
});

test('lookalikes of loopback are not loopback', (t) => {
  for (const host of ['localhost.example.com', 'mylocalhost', '127.0.0.1.nip.io', '128.0.0.1', '127.0.0.256', '127.0.0', '10.0.0.1:5000', '[::2]:5000', 'docker.io', '0127.0.0.1']) {
    t.false(isLoopbackHost(host), host);
  }
});

test('hostnameOf strips ports and IPv6 brackets', (t) => {
  t.is(hostnameOf('example.com:5000'), 'example.com');
  t.is(hostnameOf('[fe80::1]:5000'), 'fe80::1');
  t.is(hostnameOf('fe80::1'), 'fe80::1');
  t.is(hostnameOf('example.com'), 'example.com');
});

test('a non-loopback registry uses HTTPS unless marked insecure or tls-verify=false', (t) => {
  t.is(selectScheme('quay.io'), 'https');
  t.is(selectScheme('registry.example.com:5000'), 'https');
  t.is(selectScheme('registry.example.com:5000', { insecure: false, tlsVerify: true }), 'https');
  t.is(selectScheme('registry.example.com:5000', { insecure: true }), 'http');
  t.is(selectScheme('registry.example.com:5000', { tlsVerify: false }), 'http');
});

test('loopback registries use plain HTTP by default, as docker does', (t) => {
  t.is(selectScheme('localhost:5000'), 'http');
  t.is(selectScheme('127.0.0.1:5000'), 'http');
  t.is(selectScheme('[::1]:5000'), 'http');
});

test('docker.io is served by registry-1.docker.io; other hosts are kept', (t) => {
  t.is(apiHostFor('docker.io'), 'registry-1.docker.io');
  t.is(apiHostFor('index.docker.io'), 'registry-1.docker.io');
  t.is(apiHostFor('quay.io'), 'quay.io');
  t.is(apiHostFor('localhost:5000'), 'localhost:5000');
});
