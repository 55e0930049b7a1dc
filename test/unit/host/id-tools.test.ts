import test from 'ava';
import { chmodSync, chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectIdTool, type GetXattr } from '../../../src/host/id-tools.js';

const isRoot = process.getuid?.() === 0;

function fakeTool(name: string, mode: number): { env: NodeJS.ProcessEnv; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hutch-idtools-'));
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return { env: { PATH: dir }, path };
}

function xattrs(hex: string | null): GetXattr {
  return (_path, name) => (name === 'security.capability' && hex ? Buffer.from(hex, 'hex') : null);
}

test('a tool with cap_setuid+ep is privileged', async (t) => {
  const { env, path } = fakeTool('newuidmap', 0o755);
  const report = await inspectIdTool('newuidmap', xattrs('0100000280000000000000000000000000000000'), env);
  t.is(report.path, path);
  t.deepEqual(report.capabilities, ['cap_setuid+ep']);
  t.true(report.privileged);
});

test('cap_setuid does not make newgidmap privileged: it needs cap_setgid', async (t) => {
  const { env } = fakeTool('newgidmap', 0o755);
  t.false((await inspectIdTool('newgidmap', xattrs('0100000280000000000000000000000000000000'), env)).privileged);
});

test('a permitted-only capability (no effective flag) is not enough', async (t) => {
  const { env } = fakeTool('newuidmap', 0o755);
  const report = await inspectIdTool('newuidmap', xattrs('0000000280000000000000000000000000000000'), env);
  t.deepEqual(report.capabilities, ['cap_setuid+p']);
  t.false(report.privileged);
});

test('a namespaced (v3) capability for another root uid does not count on the host', async (t) => {
  const { env } = fakeTool('newuidmap', 0o755);
  t.false((await inspectIdTool('newuidmap', xattrs('010000038000000000000000000000000000000000000100'), env)).privileged);
});

test('the setuid bit only counts when root owns the file', async (t) => {
  const { env, path } = fakeTool('newuidmap', 0o4755);
  if (isRoot) {
    t.true((await inspectIdTool('newuidmap', null, env)).setuidRoot);
    chownSync(path, 1001, 1001);
    chmodSync(path, 0o4755);
  }
  const report = await inspectIdTool('newuidmap', null, env);
  t.false(report.setuidRoot);
  t.false(report.privileged);
});

test('a non-executable file of that name in PATH is skipped', async (t) => {
  const { env, path } = fakeTool('newuidmap', 0o644);
  t.not((await inspectIdTool('newuidmap', null, env)).path, path);
});
