import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

function hutch(args: string[]): { status: number | null; stdout: string } {
  const root = mkdtempSync(join(tmpdir(), 'hutch-doctor-'));
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), '--root', join(root, 'store'), '--runroot', join(root, 'run'), ...args], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: result.status, stdout: result.stdout };
}

test('doctor prints plain marks and exits 1 exactly when a required item fails', (t) => {
  const { status, stdout } = hutch(['doctor']);
  const lines = stdout.split('\n');
  const marks = lines.filter((l) => /^\[(ok|FAIL|WARN)\]/.test(l));
  t.true(marks.length >= 15, stdout);
  t.false(stdout.includes('\x1b['));
  const failedRequired = lines.some((l) => l.startsWith('[FAIL]'));
  t.is(status, failedRequired ? 1 : 0, stdout);
  for (const title of ['Native addon is built', 'An unprivileged user namespace can be created', 'Storage is on a local filesystem']) {
    t.true(stdout.includes(title), title);
  }
});

test('info prints the documented JSON and renders templates', (t) => {
  const { status, stdout } = hutch(['info', '--format', 'json']);
  t.is(status, 0);
  const report = JSON.parse(stdout) as { schemaVersion: number; runtime: { rootfsMode: string }; user: { uid: number } };
  t.is(report.schemaVersion, 1);
  t.true(['overlay', 'fuse-overlayfs', 'copy'].includes(report.runtime.rootfsMode));
  t.is(report.user.uid, process.getuid!());
  const { stdout: kernel } = hutch(['info', '--format', '{{.host.kernel}}']);
  t.regex(kernel, /^\d+\.\d+/);
});
