import test from 'ava';
import { passThroughCommand } from '../../../src/cli/commands.js';
import { parseDirectArguments } from '../../../src/cli/direct-argv.js';
import { globalFlags, indexOfCommandWord } from '../../../src/cli/global-flags.js';
import { viaYargs } from '../../helpers/parse-with-yargs.js';

async function viaDirect(argv: readonly string[]) {
  const commandIndex = indexOfCommandWord(argv);
  const command = await passThroughCommand(argv[commandIndex]!);
  return command && parseDirectArguments(argv, commandIndex, command, globalFlags);
}

// Every vector the direct parser must take; the result must equal yargs'.
const DIRECT: string[][] = [
  ['run', '--rm', 'img', 'true'],
  ['run', 'img'],
  ['run', 'img', '--', 'ls', '-la'],
  ['run', 'img', '--'],
  ['run', '--env=', '--env', '', 'img'],
  ['run', 'img', 'sh', '--', '-c', 'x'],
  ['run', '-it', '--rm', 'debian:12', 'bash', '-l'],
  ['run', '-dit', 'img'],
  ['run', '-ie', 'A=1', 'img'],
  ['--root', '/r', '--runroot=/rr', 'run', 'img', 'x'],
  ['--log-level', 'debug', 'run', 'img'],
  ['run', '--root', '/r', '--storage-opt', 'overlay.mount_program=/usr/bin/fuse-overlayfs', 'img'],
  ['run', '-e', 'A=1', '--env', 'B', '--env=C=3', '-v', '/a:/b:ro', '--volume=/c:/d', 'img', 'env'],
  ['run', '--name', 'web', '--hostname=h', '-u', '1000:1000', '-w', '/srv', '--entrypoint', '', 'img'],
  ['run', '--entrypoint=', '--user=root', 'img'],
  ['run', '--read-only', '--read-only-tmpfs=false', '--network', 'none', '--cap-drop', 'ALL', '--cap-add=NET_RAW', 'img'],
  ['run', '--net', 'host', '--userns=keep-id', '--init', '--security-opt', 'seccomp=unconfined', '--security-opt=no-new-privileges', 'img'],
  ['run', '--tmpfs', '/tmp:size=1m', '--mount', 'type=bind,source=/a,target=/b', '--ulimit', 'nofile=10:20', 'img'],
  ['run', '--rm=false', '--tty=true', '-q', '--annotation', 'a=b', '--env-file', 'f', 'img'],
  ['run', '-d', '--restart', 'always', '--log-opt', 'max-size=1m', '-m', '512m', '--memory-swap', '1g', '--cpus', '1.5', '--pids-limit', '10', '-l', 'a=b', '--label', 'c', 'img'],
  ['run', '--platform', 'linux/arm64', '--arch=arm64', '--os', 'linux', '--variant', 'v8', '--tls-verify=false', '--creds', 'u:p', 'img'],
  ['run', '--name', '123', 'img', '1e3', '0x10'],
  ['run', '007', 'true'],
  ['create', '--name', 'c', 'img', 'sleep', '1'],
  ['create', '-it', 'img'],
  ['exec', 'c1', 'ls', '-l'],
  ['exec', '-it', '-u', 'root', '-e', 'A=1', '-w', '/tmp', 'c1', 'sh'],
  ['exec', '--privileged', 'c1', 'true'],
  ['exec', 'c1'],
  ['exec', 'c1', '--', 'ls'],
];

// Vectors only yargs can read: the direct parser must decline them.
const YARGS_ONLY: string[][] = [
  ['run', '--help'],
  ['run', '-h', 'img'],
  ['run', '--name', 'a', '--name', 'b', 'img'],
  ['run', '--rm', 'true', 'img'],
  ['run', '-t', 'false', 'img'],
  ['run', '--entrypoint', '-x', 'img'],
  ['run', '-eA=1', 'img'],
  ['run', '-e=A', 'img'],
  ['run', '-ei', 'A', 'img'],
  ['run', '--log-level', 'loud', 'img'],
  ['--log-level', 'debug', 'run', '--log-level=error', 'img'],
  ['run', '--rm=maybe', 'img'],
  ['run', '--', 'img'],
  ['run', '-', 'img'],
  ['run', '--rm'],
  ['run', '--env'],
  ['run', '--bogus', 'img'],
  ['--rm', 'run', 'img'],
  ['container', 'run', 'img'],
  ['ps', '-a'],
];

for (const argv of DIRECT) {
  test(`direct parse of \`${argv.join(' ')}\` equals yargs'`, async (t) => {
    const direct = await viaDirect(argv);
    t.truthy(direct, 'the direct parser declined a plain vector');
    t.deepEqual(direct, (await viaYargs(argv)) as never);
  });
}

for (const argv of YARGS_ONLY) {
  test(`\`${argv.join(' ')}\` is left to yargs`, async (t) => {
    t.is(await viaDirect(argv), undefined);
  });
}
