import test from 'ava';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

// main.ts attaches its EPIPE handler only when stdout is first used; these
// commands write with process.stdout.write (console.log would ignore EPIPE).
for (const args of [['--version'], ['completion', 'bash']]) {
  test(`hutch ${args.join(' ')}: a reader that closed stdout ends it quietly with status 0`, async (t) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const status = await new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    t.is(stderr, '');
    t.is(status, 0);
  });
}
