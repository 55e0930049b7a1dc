// `hutch import --change` instructions (podman's subset of Dockerfile syntax:
// CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL) applied to
// the config of an imported image.
import { UsageError } from '../errors.js';

/** The image config `config` object (image-spec config.md), as import writes it. */
export interface ImportedConfig {
  Env: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  StopSignal?: string;
}

/** JSON form `["a","b"]` or shell form `a b` (run by /bin/sh -c, as Dockerfile does). */
function commandForm(value: string, instruction: string): string[] {
  const trimmed = value.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`--change ${instruction}: ${JSON.stringify(value)} is not a valid JSON array`);
    }
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new UsageError(`--change ${instruction}: the JSON form must be an array of strings`);
    return parsed;
  }
  if (trimmed === '') throw new UsageError(`--change ${instruction} needs a value`);
  return ['/bin/sh', '-c', trimmed];
}

/** key=value pairs, as ENV and LABEL take them (values may be quoted). */
function pairs(value: string, instruction: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("((?:[^"\\]|\\.)*)"|\S*)/g;
  for (const match of value.matchAll(re)) {
    out.push([match[1]!, match[3] !== undefined ? match[3].replace(/\\(.)/g, '$1') : match[2]!]);
  }
  if (out.length === 0) {
    const [key, ...rest] = value.trim().split(/\s+/);
    if (!key || rest.length === 0) throw new UsageError(`--change ${instruction}: expected KEY=VALUE, got ${JSON.stringify(value)}`);
    out.push([key, rest.join(' ')]);
  }
  return out;
}

/** Applies `--change` instructions, in order, to `config`. */
export function applyChanges(config: ImportedConfig, changes: readonly string[]): ImportedConfig {
  const result: ImportedConfig = { ...config, Env: [...config.Env] };
  for (const change of changes) {
    const match = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(change);
    if (!match) throw new UsageError(`--change ${JSON.stringify(change)}: expected INSTRUCTION VALUE, e.g. 'CMD ["/bin/sh"]'`);
    const instruction = match[1]!.toUpperCase();
    const value = match[2]!;
    switch (instruction) {
      case 'CMD':
        result.Cmd = commandForm(value, instruction);
        break;
      case 'ENTRYPOINT':
        result.Entrypoint = commandForm(value, instruction);
        break;
      case 'ENV':
        for (const [key, val] of pairs(value, instruction)) {
          result.Env = [...result.Env.filter((e) => !e.startsWith(`${key}=`)), `${key}=${val}`];
        }
        break;
      case 'LABEL':
        result.Labels = { ...result.Labels, ...Object.fromEntries(pairs(value, instruction)) };
        break;
      case 'WORKDIR':
        if (!value.trim().startsWith('/')) throw new UsageError(`--change WORKDIR: ${JSON.stringify(value)} must be an absolute path`);
        result.WorkingDir = value.trim();
        break;
      case 'USER':
        result.User = value.trim();
        break;
      case 'STOPSIGNAL':
        result.StopSignal = value.trim();
        break;
      case 'EXPOSE':
        for (const port of value.trim().split(/\s+/)) {
          if (!/^\d+(\/(tcp|udp|sctp))?$/.test(port)) throw new UsageError(`--change EXPOSE: ${JSON.stringify(port)} is not PORT[/tcp|udp|sctp]`);
          result.ExposedPorts = { ...result.ExposedPorts, [port.includes('/') ? port : `${port}/tcp`]: {} };
        }
        break;
      default:
        throw new UsageError(`--change: unsupported instruction ${instruction}`, { hint: 'supported: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, WORKDIR' });
    }
  }
  return result;
}
