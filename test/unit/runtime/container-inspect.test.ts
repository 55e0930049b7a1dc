import test from 'ava';
import { containerInspectDocument } from '../../../src/runtime/container-inspect.js';
import type { ContainerState } from '../../../src/runtime/container-state.js';
import type { OciSpec } from '../../../src/spec/oci-types.js';

const record = { id: 'a'.repeat(64), name: 'web', image: { id: 'sha256:bb', name: 'debian:12' }, created: '2026-01-01T00:00:00Z', command: ['sleep', '9'], autoRemove: false, stopSignal: 'SIGTERM', labels: {}, createOptions: {} };
const paused: ContainerState = { status: 'paused', pid: 42, cgroupDir: '/sys/fs/cgroup/box/hutch-a', exitCode: null, startedAt: '2026-01-01T00:00:01Z', finishedAt: null, restartCount: 0, monitorAlive: true, hasRuntimeState: true };
const settings = { tty: false, interactive: false, restart: { name: 'no' as const } };

function hostConfig(spec: OciSpec | null, state: ContainerState = paused): Record<string, unknown> {
  const doc = containerInspectDocument({ record, state, spec, root: '/store', settings, logPath: '/store/ctr.log' });
  return doc.HostConfig as Record<string, unknown>;
}

test('a paused container: State.Status paused, Paused true, its pid kept', (t) => {
  const doc = containerInspectDocument({ record, state: paused, spec: null, root: '/store', settings, logPath: '/store/ctr.log' });
  t.like(doc.State, { Status: 'paused', Paused: true, Running: false, Pid: 42 });
});

test('HostConfig shows the limits of linux.resources as podman does', (t) => {
  const spec = { linux: { resources: { memory: { limit: 64 * 1024 * 1024, swap: -1 }, cpu: { quota: 150000, period: 100000 }, pids: { limit: 20 } } } } as unknown as OciSpec;
  t.like(hostConfig(spec), { Memory: 64 * 1024 * 1024, MemorySwap: -1, NanoCpus: 1_500_000_000, PidsLimit: 20 });
  t.like(hostConfig({ linux: {} } as unknown as OciSpec), { Memory: 0, MemorySwap: 0, NanoCpus: 0, PidsLimit: 0 });
});
