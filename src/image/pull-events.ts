// The progress events a pull reports, independent of how they are shown
// (Ink bars on a terminal, plain lines otherwise).

/** The lifecycle of one layer during a pull. */
export type LayerState = 'waiting' | 'downloading' | 'verifying' | 'extracting' | 'done' | 'exists';

/** A change in one layer's progress. */
export interface LayerUpdate {
  /** The compressed blob digest (what the registry serves). */
  digest: string;
  state: LayerState;
  /** Compressed bytes received so far. */
  bytes: number;
  /** Compressed size from the manifest. */
  total: number;
}

/** Receives a pull's progress. Every method is optional to implement as a no-op. */
export interface PullReporter {
  /** The reference was resolved to a manifest; layers are known. */
  resolved(reference: string, manifestDigest: string, layers: { digest: string; size: number }[]): void;
  layer(update: LayerUpdate): void;
  /** A message worth showing (e.g. "Trying to pull docker.io/library/debian:latest..."). */
  note(message: string): void;
  /** The image is stored; its ID is the config digest. */
  done(imageId: string): void;
  /** Stops rendering (success or failure). */
  close(): void;
}

/** A reporter that shows nothing (for `-q` and programmatic use). */
export const silentReporter: PullReporter = {
  resolved() {},
  layer() {},
  note() {},
  done() {},
  close() {},
};
