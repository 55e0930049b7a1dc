// Reading registry response bodies with a hard cap (a hostile registry must not
// make us buffer gigabytes), and turning distribution-spec error bodies
// (`{"errors":[{code,message,detail}]}`, spec "Error Codes") into one line.
import type { IncomingMessage } from 'node:http';

/** Error bodies beyond this are truncated: they are only read to build a message. */
export const ERROR_BODY_CAP = 64 * 1024;

/** Thrown by readCapped when the body exceeds the cap; the response has been destroyed. */
export class BodyTooLargeError extends Error {
  constructor(readonly cap: number) {
    super(`response body exceeds ${cap} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a whole body, destroying the response and throwing BodyTooLargeError past `cap` bytes. */
export async function readCapped(res: IncomingMessage, cap: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > cap) {
    res.destroy();
    throw new BodyTooLargeError(cap);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > cap) {
      res.destroy();
      throw new BodyTooLargeError(cap);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Reads at most ERROR_BODY_CAP bytes of an error body, then discards the rest; never throws for size. */
export async function readErrorBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      const room = ERROR_BODY_CAP - total;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      total += Math.min(chunk.length, room);
      if (total >= ERROR_BODY_CAP) {
        res.destroy();
        break;
      }
    }
  } catch {
    // The body only decorates the message; a broken error body must not hide the status.
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** One entry of a distribution-spec error body. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** Parses `{"errors":[...]}`; returns [] for anything else. */
export function parseErrorBody(body: string): RegistryErrorEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  const errors = (parsed as { errors?: unknown })?.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({
      code: typeof e.code === 'string' ? e.code : 'UNKNOWN',
      message: typeof e.message === 'string' ? e.message : '',
      ...(e.detail === undefined ? {} : { detail: e.detail }),
    }));
}

/** One line describing an error body: the parsed errors, or a printable excerpt of the raw text. */
export function describeErrorBody(body: string): string {
  const entries = parseErrorBody(body);
  if (entries.length > 0) {
    return entries
      .map((e) => {
        const detail = e.detail === undefined ? '' : ` (${JSON.stringify(e.detail).slice(0, 300)})`;
        return `${e.code}${e.message ? `: ${e.message}` : ''}${detail}`;
      })
      .join('; ');
  }
  const text = body.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
