// `hutch create` and `hutch run -d`: the foreground run's creation path plus
// what a monitored container needs recorded — restart policy, log size cap,
// labels — all decided before anything is created.
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-file.js';
import type { Store } from '../storage/store.js';
import type { RawRunFlags } from '../spec/run-options.js';
import { containerPaths, type ContainerRecord } from './container-store.js';
import { createFromCli, type CreatedContainer, type PullMissing } from './create-from-cli.js';
import { parseRestartPolicy } from './restart-policy.js';

/** What create needs beyond the foreground run's inputs. */
export interface LifecycleRequest {
  image: string;
  command: string[];
  flags: RawRunFlags;
  autoRemove: boolean;
  pullMissing: PullMissing;
  /** --storage-opt values (how the root filesystem is built). */
  storageOpts: readonly string[];
  restart: string | undefined;
  logMaxSize: number | undefined;
  labels: Record<string, string>;
}

/** Validates the lifecycle options, creates the container and records them. */
export async function createMonitoredContainer(store: Store, request: LifecycleRequest): Promise<CreatedContainer> {
  const restart = parseRestartPolicy(request.restart);
  // createFromCli keeps `flags` as the record's createOptions, where start finds the monitor settings.
  const flags = { ...request.flags, restart, ...(request.logMaxSize !== undefined ? { logMaxSize: request.logMaxSize } : {}) };
  const created = await createFromCli(store, { image: request.image, command: request.command, flags, autoRemove: request.autoRemove, pullMissing: request.pullMissing, storageOpts: request.storageOpts });
  if (Object.keys(request.labels).length > 0) {
    const record: ContainerRecord = { ...created.container.record, labels: { ...created.container.record.labels, ...request.labels } };
    await store.withStoreLock(() => writeFileAtomic(join(containerPaths(store.root, record.id).dir, 'container.json'), `${JSON.stringify(record, null, 2)}\n`));
    created.container.record = record;
  }
  return created;
}
