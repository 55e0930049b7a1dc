// The figures `hutch system df` reports: images (layers counted once even
// when shared), containers (their writable layers) and what pruning frees.
import { diskUsage } from './disk-usage.js';
import type { Store } from './store.js';
import { containerPaths, listContainers } from '../runtime/container-store.js';

/** One row of `system df`. */
export interface UsageRow {
  Type: 'Images' | 'Containers';
  Total: number;
  Active: number;
  Size: number;
  Reclaimable: number;
}

/** Computes the `system df` rows. */
export function storageUsage(store: Store): UsageRow[] {
  const images = store.listImages();
  const containers = listContainers(store.root);
  const usedImages = new Set(containers.map((c) => c.image.id));
  const layerSize = (id: string) => store.getLayer(id)?.diskSize ?? 0;
  const blobSize = store.usage().blobs.bytes;
  const allLayers = new Set(images.flatMap((i) => i.layers));
  const activeLayers = new Set(images.filter((i) => usedImages.has(i.id)).flatMap((i) => i.layers));
  const sum = (ids: Iterable<string>) => [...ids].reduce((total, id) => total + layerSize(id), 0);
  const imageBytes = sum(allLayers) + blobSize;
  const containerSizes = containers.map((c) => diskUsage(containerPaths(store.root, c.id).upper));
  return [
    { Type: 'Images', Total: images.length, Active: usedImages.size, Size: imageBytes, Reclaimable: imageBytes - sum(activeLayers) },
    { Type: 'Containers', Total: containers.length, Active: 0, Size: containerSizes.reduce((a, b) => a + b, 0), Reclaimable: 0 },
  ];
}

