// A leveled logger writing to stderr; --log-level selects the threshold.

/** Log levels in increasing verbosity, as podman names them. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

let threshold: number = LOG_LEVELS.indexOf('warn');
const warnedOnce = new Set<string>();

/** Sets the global log threshold. */
export function setLogLevel(level: LogLevel): void {
  threshold = LOG_LEVELS.indexOf(level);
}

function emit(level: LogLevel, message: string): void {
  if (LOG_LEVELS.indexOf(level) <= threshold) process.stderr.write(`${level === 'info' ? '' : `${level.toUpperCase()}: `}${message}\n`);
}

/** The process-wide logger. */
export const log = {
  error: (message: string) => emit('error', message),
  warn: (message: string) => emit('warn', message),
  info: (message: string) => emit('info', message),
  debug: (message: string) => emit('debug', message),
  /** Warns once per process for a given key (e.g. "device nodes skipped in layer X"). */
  warnOnce(key: string, message: string): void {
    if (warnedOnce.has(key)) return;
    warnedOnce.add(key);
    emit('warn', message);
  },
};
