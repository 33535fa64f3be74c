/**
 * Records of the replay store file (`replay.log` in the state directory): one line each,
 * ASCII, appended with one write(2).
 *
 *   # spa replay v1                       header, written by every compaction
 *   k <32 hex: one-time id> <ms>          an accepted SPA knock and its timestamp
 *   s <hex of the utf-8 id> <ms>          a burned one-time sequence and when it expires
 *   f <ms>                                knocks stamped before this are refused (`forgotten`)
 *   q <ms>                                sequences burned until at or before this are refused
 *
 * The two floors are written by a compaction (replay-store.ts): what the store forgot, or
 * never knew (a damaged or lost store), so that a restart does not lose that either.
 *
 * A line counts only when it is complete (ends in "\n") and matches exactly; anything else
 * (a torn tail after a crash, zeros after a power loss, stray bytes) is skipped. A torn tail
 * can only lose the record being written when the process died, and that knock was never
 * granted: the grant is issued only after the write returned.
 */
import { fromHex, toHex, utf8 } from '@spa/shared';

export const REPLAY_FILE = 'replay.log';
export const REPLAY_HEADER = '# spa replay v1\n';

export type ReplayRecord =
  | { readonly kind: 'knock'; readonly id: string; readonly timestampMs: number }
  | { readonly kind: 'sequence'; readonly id: string; readonly expiresAtMs: number }
  | { readonly kind: 'knock-floor'; readonly ms: number }
  | { readonly kind: 'sequence-floor'; readonly ms: number };

const KNOCK_LINE = /^k ([0-9a-f]{32}) ([0-9]{1,16})$/;
const SEQUENCE_LINE = /^s ((?:[0-9a-f]{2}){1,256}) ([0-9]{1,16})$/;
const FLOOR_LINE = /^([fq]) ([0-9]{1,16})$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

export function knockLine(idHex: string, timestampMs: number): string {
  return `k ${idHex} ${timestampMs}\n`;
}

export function sequenceLine(id: string, expiresAtMs: number): string {
  return `s ${toHex(utf8(id))} ${expiresAtMs}\n`;
}

export function floorLine(kind: 'knock-floor' | 'sequence-floor', ms: number): string {
  return `${kind === 'knock-floor' ? 'f' : 'q'} ${ms}\n`;
}

/** Parse one line (without its "\n"); undefined for anything that is not a whole record. */
export function parseRecord(line: string): ReplayRecord | undefined {
  const k = KNOCK_LINE.exec(line);
  if (k) {
    const timestampMs = Number(k[2]);
    return Number.isSafeInteger(timestampMs) ? { kind: 'knock', id: k[1]!, timestampMs } : undefined;
  }
  const s = SEQUENCE_LINE.exec(line);
  if (s) {
    const expiresAtMs = Number(s[2]);
    const bytes = fromHex(s[1]!);
    if (!bytes || !Number.isSafeInteger(expiresAtMs)) return undefined;
    try {
      return { kind: 'sequence', id: decoder.decode(bytes), expiresAtMs };
    } catch {
      return undefined;
    }
  }
  const f = FLOOR_LINE.exec(line);
  if (f) {
    const ms = Number(f[2]);
    if (!Number.isSafeInteger(ms)) return undefined;
    return f[1] === 'f' ? { kind: 'knock-floor', ms } : { kind: 'sequence-floor', ms };
  }
  return undefined;
}

export interface ParsedRecords {
  readonly records: ReplayRecord[];
  /** Lines that were not whole records, a torn tail included. */
  readonly skipped: number;
  /** The file starts with the header (every file the store wrote does). */
  readonly header: boolean;
  /** The text does not end in "\n": the last record was cut short. */
  readonly tornTail: boolean;
}

/** Every complete record of a file's text; the part after the last "\n" is ignored. */
export function parseRecords(text: string): ParsedRecords {
  const records: ReplayRecord[] = [];
  let skipped = 0;
  const end = text.lastIndexOf('\n');
  const tornTail = end < text.length - 1;
  if (tornTail) skipped++;
  let start = 0;
  while (start <= end) {
    const nl = text.indexOf('\n', start);
    const line = text.slice(start, nl);
    start = nl + 1;
    if (line === '' || line.startsWith('#')) continue;
    const r = parseRecord(line);
    if (r) records.push(r);
    else skipped++;
  }
  return { records, skipped, header: text.startsWith(REPLAY_HEADER), tornTail };
}
