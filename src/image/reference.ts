// Image references parsed and normalised like docker and podman do
// (distribution/reference grammar in regexp.go, normalisation in
// normalize.go; containers/image's registry-host rule for the first component).
import { UsageError } from '../errors.js';
import { parseDigest } from './digest.js';

/** The registry a name without a registry component refers to. */
export const DEFAULT_REGISTRY = 'docker.io';
/** The tag used when a reference has neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** distribution/reference NameTotalLengthMax: registry plus repository. */
export const NAME_TOTAL_LENGTH_MAX = 255;

const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_NAMESPACE = 'library/';

// distribution/reference regexp.go, transcribed as grammar (not code).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const IMAGE_ID = /^[a-f0-9]{64}$/;

/** A fully qualified image reference: registry, repository and a tag and/or digest. */
export class ImageReference {
  /** Registry host[:port], e.g. `docker.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path within the registry, e.g. `library/debian`. */
  readonly repository: string;
  /** Tag, kept for naming even when a digest is present. */
  readonly tag: string | undefined;
  /** Digest; when present it wins over the tag for pulling. */
  readonly digest: string | undefined;

  constructor(registry: string, repository: string, tag: string | undefined, digest: string | undefined) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  /** `registry/repository`, the canonical name without tag or digest. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** What to ask the registry for: the digest if there is one, else the tag. */
  get pullReference(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  /** The canonical string `registry/repository[:tag][@digest]`. */
  toString(): string {
    return `${this.name}${this.tag === undefined ? '' : `:${this.tag}`}${this.digest === undefined ? '' : `@${this.digest}`}`;
  }

  /** The short form docker prints: `debian:12`, `user/app:1`, `quay.io/x/y:z`. */
  familiar(): string {
    return `${this.familiarName()}${this.tag === undefined ? '' : `:${this.tag}`}${this.digest === undefined ? '' : `@${this.digest}`}`;
  }

  /** The familiar name without tag or digest (normalize.go familiarizeName). */
  familiarName(): string {
    if (this.registry !== DEFAULT_REGISTRY) return this.name;
    if (this.repository.startsWith(OFFICIAL_NAMESPACE)) {
      const rest = this.repository.slice(OFFICIAL_NAMESPACE.length);
      if (!rest.includes('/')) return rest;
    }
    return this.repository;
  }

  /** The same repository with another tag (digest dropped: a new tag names different content). */
  withTag(tag: string): ImageReference {
    if (!TAG.test(tag)) throw invalid(tag, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
    return new ImageReference(this.registry, this.repository, tag, undefined);
  }

  /** The same repository pinned to a digest, keeping the tag for naming. */
  withDigest(digest: string): ImageReference {
    parseDigest(digest, 'digest');
    return new ImageReference(this.registry, this.repository, this.tag, digest);
  }

  /** The same repository moved to another name (used for registries.conf rewrites), keeping tag and digest. */
  withName(registry: string, repository: string): ImageReference {
    return new ImageReference(registry, repository, this.tag, this.digest);
  }
}

function invalid(input: string, rule: string): UsageError {
  return new UsageError(`invalid image reference ${JSON.stringify(input)}: ${rule}`, {
    hint: 'use [registry[:port]/]repository[:tag][@sha256:digest] in lowercase, e.g. docker.io/library/debian:12',
  });
}

/** The parts of a reference as written, before any registry is added. */
export interface SplitReference {
  /** The registry component when the first component is a registry, else undefined. */
  registry: string | undefined;
  /** The remaining path as written (no `library/` added). */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

/**
 * The registry-host rule (containers/image shortnames and splitDockerDomain):
 * the first of several components is a registry when it contains `.` or `:`
 * or is `localhost`.
 */
function isRegistryComponent(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/** Splits and validates a reference as written, without adding a registry or `library/`. */
export function splitReference(input: string): SplitReference {
  if (input === '') throw invalid(input, 'it is empty');
  if (/\s/.test(input)) throw invalid(input, 'it contains whitespace');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) {
    throw invalid(input, 'it contains a URL scheme; a reference names a registry host, not a URL');
  }
  if (IMAGE_ID.test(input)) throw invalid(input, 'a 64-character hexadecimal string is an image ID, not a repository name');

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest, 'digest');
    } catch (err) {
      throw invalid(input, (err as Error).message);
    }
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(input, `tag ${JSON.stringify(tag)} must be 1-128 characters of [A-Za-z0-9_.-] not starting with "." or "-"`);
    }
  }

  let registry: string | undefined;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0 && isRegistryComponent(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    path = rest.slice(slash + 1);
    if (!DOMAIN.test(registry)) throw invalid(input, `registry ${JSON.stringify(registry)} is not a valid host[:port]`);
  }

  if (path === '') throw invalid(input, 'the repository name is empty');
  if (path.toLowerCase() !== path) throw invalid(input, `repository name ${JSON.stringify(path)} must be lowercase`);
  for (const component of path.split('/')) {
    if (component === '') throw invalid(input, 'the repository name has an empty path component (a leading, trailing or doubled "/")');
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(input, `path component ${JSON.stringify(component)} must be lowercase letters and digits separated by ".", "_", "__" or "-"`);
    }
  }
  return { registry, path, tag, digest };
}

/**
 * Parses and normalises a reference like `docker pull` does: `debian` →
 * docker.io/library/debian:latest; `index.docker.io` → docker.io; a tag is
 * added only when neither tag nor digest was given; tag and digest together
 * keep both (the digest is what gets pulled).
 */
export function parseReference(input: string): ImageReference {
  const split = splitReference(input);
  let registry = split.registry ?? DEFAULT_REGISTRY;
  if (registry === LEGACY_DEFAULT_REGISTRY) registry = DEFAULT_REGISTRY;
  const repository = registry === DEFAULT_REGISTRY && !split.path.includes('/') ? OFFICIAL_NAMESPACE + split.path : split.path;
  const nameLength = registry.length + 1 + repository.length;
  if (nameLength > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(input, `the repository name is ${nameLength} characters long, the maximum is ${NAME_TOTAL_LENGTH_MAX}`);
  }
  const tag = split.tag ?? (split.digest === undefined ? DEFAULT_TAG : undefined);
  return new ImageReference(registry, repository, tag, split.digest);
}

/**
 * Whether `input` is a short name (podman's definition): no registry
 * component, so registries.conf decides where it comes from. `user/app` is
 * short; `localhost/app` and `quay.io/app` are not.
 */
export function isShortName(input: string): boolean {
  const beforeDigest = input.split('@', 1)[0]!;
  const slash = beforeDigest.indexOf('/');
  return slash < 0 || !isRegistryComponent(beforeDigest.slice(0, slash));
}
