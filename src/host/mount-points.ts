// Mount points from /proc/self/mountinfo (proc(5)): the fifth field, with
// the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash).
import { readFileSync } from 'node:fs';

function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Mount points at `dir` or below it (absolute, normalised `dir`), from `mountinfo`'s text. */
export function mountPointsBelow(dir: string, mountinfo: string = readFileSync('/proc/self/mountinfo', 'utf8')): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map(unescapeMountinfo)
    .filter((point) => point === dir || point.startsWith(prefix));
}
