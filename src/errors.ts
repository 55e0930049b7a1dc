// The HutchError family: every failure hutch reports carries a stable code, a
// message that names the thing (digest, path, syscall and errno) and says what
// to do, and the error that caused it. Exit codes are decided in one place
// (src/cli/exit-codes.ts) from these classes.

/** Options shared by every HutchError constructor. */
export interface HutchErrorOptions {
  /** The lower-level error that caused this one. */
  cause?: unknown;
  /** One line telling the user what to do about it. */
  hint?: string;
}

/** Base class: a failure of hutch itself (exit 125). */
export class HutchError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: HutchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Bad command-line usage: unknown command, bad flag, malformed value. */
export class UsageError extends HutchError {
  constructor(message: string, options: HutchErrorOptions = {}) {
    super('EUSAGE', message, options);
  }
}

/** A named thing (image, container, layer, file) does not exist. */
export class NotFoundError extends HutchError {
  constructor(message: string, options: HutchErrorOptions = {}) {
    super('ENOTFOUND', message, options);
  }
}

/** A failed system call, from the native side or from Node's fs. */
export class SystemError extends HutchError {
  readonly errno: number;
  readonly syscall: string;
  readonly path: string | undefined;

  constructor(syscall: string, errno: number, errnoName: string, message: string, path?: string, options: HutchErrorOptions = {}) {
    super(errnoName, message, options);
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
  }
}

/** Input that breaks a rule of the OCI specs or a security rule (bad layer, bad digest, escaping path). */
export class InvalidContentError extends HutchError {
  constructor(message: string, options: HutchErrorOptions = {}) {
    super('EINVALIDCONTENT', message, options);
  }
}

/** A registry or network failure. */
export class RegistryError extends HutchError {
  readonly status: number | undefined;
  constructor(message: string, options: HutchErrorOptions & { status?: number; code?: string } = {}) {
    super(options.code ?? 'EREGISTRY', message, options);
    this.status = options.status;
  }
}

/** The host lacks something a container needs (no user namespaces, no subuid range...). */
export class HostError extends HutchError {
  constructor(code: string, message: string, options: HutchErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The container's command exists but cannot be executed (podman exit 126). */
export class CannotInvokeError extends HutchError {
  constructor(message: string, options: HutchErrorOptions = {}) {
    super('ECANNOTINVOKE', message, options);
  }
}

/** The container's command was not found (podman exit 127). */
export class CommandNotFoundError extends HutchError {
  constructor(message: string, options: HutchErrorOptions = {}) {
    super('ECMDNOTFOUND', message, options);
  }
}

/** The operation was interrupted by the user (Ctrl-C). */
export class InterruptedError extends HutchError {
  constructor(message = 'interrupted', options: HutchErrorOptions = {}) {
    super('EINTERRUPTED', message, options);
  }
}

/** Wraps a Node fs/system error (with .code/.syscall/.path) into a SystemError with a readable message. */
export function fromNodeError(err: unknown, what?: string): HutchError {
  if (err instanceof HutchError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.syscall === 'string') {
    const target = e.path ?? what ?? '';
    const message = `${e.syscall} ${target ? `\`${target}\`` : ''}: ${e.code}`.replace('  ', ' ');
    return new SystemError(e.syscall, e.errno ?? 0, e.code, message, e.path, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new HutchError('EINTERNAL', what ? `${what}: ${message}` : message, { cause: err });
}
