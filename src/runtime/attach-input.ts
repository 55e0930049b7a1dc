// Feeding the terminal's stdin to a detached container: `hutch-runtime
// attach-input` speaks the monitor's SOCK_SEQPACKET attach protocol, which
// Node cannot, and relays our stdin to the container's.
import { spawn, type ChildProcess } from 'node:child_process';
import { runtimeExecutablePath } from '../native/index.js';

/** Starts relaying this process's stdin to container `id` monitored under `runtimeRoot`; kill the result to stop. */
export function relayStdin(runtimeRoot: string, id: string): ChildProcess {
  const relay = spawn(runtimeExecutablePath(), ['--root', runtimeRoot, 'attach-input', id], { stdio: ['inherit', 'ignore', 'inherit'] });
  relay.on('error', () => undefined);
  return relay;
}
