// Finding a stored image from what a user typed: a full or short ID (any
// unique prefix), `sha256:<id>`, a full name, or a short name as podman
// resolves it locally (`debian` → docker.io/library/debian:latest, or the one
// stored name whose repository path matches).
import { HutchError, NotFoundError } from '../errors.js';
import type { ImageRecord, Store } from '../storage/store.js';
import { parseReference, splitReference } from './reference.js';

/** A stored image and the name the user reached it by (if any). */
export interface FoundImage {
  image: ImageRecord;
  /** The stored full name matched, when the input was a name. */
  name: string | undefined;
}

const HEX_PREFIX = /^(?:sha256:)?([a-f0-9]{3,64})$/;

/** Resolves `input` against the store's images, or returns null when nothing matches. */
export function findImage(store: Store, input: string, images: ImageRecord[] = store.listImages()): FoundImage | null {
  const byName = findByName(input, images);
  if (byName) return byName;
  const hex = HEX_PREFIX.exec(input)?.[1];
  if (hex) {
    const matches = images.filter((image) => image.id.slice('sha256:'.length).startsWith(hex));
    if (matches.length > 1) {
      throw new HutchError('EAMBIGUOUS', `image ID prefix ${JSON.stringify(input)} is ambiguous: it matches ${matches.length} images`, { hint: 'give more digits of the ID' });
    }
    if (matches.length === 1) return { image: matches[0]!, name: undefined };
  }
  return null;
}

/** Like findImage, but throws NotFoundError naming the input. */
export function requireImage(store: Store, input: string, images?: ImageRecord[]): FoundImage {
  const found = findImage(store, input, images);
  if (!found) throw new NotFoundError(`image ${JSON.stringify(input)} not found in local storage`, { hint: `pull it first: hutch pull ${input}` });
  return found;
}

function findByName(input: string, images: ImageRecord[]): FoundImage | null {
  let full: string;
  let split: ReturnType<typeof splitReference>;
  try {
    full = parseReference(input).toString();
    split = splitReference(input);
  } catch {
    return null;
  }
  const exact = images.find((image) => image.names.includes(full));
  if (exact) return { image: exact, name: full };
  if (split.registry !== undefined) return null;
  // A short name may have been stored under any registry (localhost/app, quay.io/x/app): accept one unique match.
  const suffix = `/${split.path}${split.tag !== undefined ? `:${split.tag}` : split.digest === undefined ? ':latest' : ''}${split.digest !== undefined ? `@${split.digest}` : ''}`;
  const matches: FoundImage[] = [];
  for (const image of images) {
    for (const name of image.names) if (name.endsWith(suffix) && !name.slice(0, -suffix.length).includes('/')) matches.push({ image, name });
  }
  if (matches.length > 1) {
    throw new HutchError('EAMBIGUOUS', `short name ${JSON.stringify(input)} matches several images: ${matches.map((m) => m.name).join(', ')}`, {
      hint: 'use the full name',
    });
  }
  return matches[0] ?? null;
}
