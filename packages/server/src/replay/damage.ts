/**
 * Is the replay store whole? Pure: the log's text (or its absence) and whether the store
 * existed before in, a verdict out (replay-store.ts acts on it).
 *
 * A store that is missing, cut short or has unreadable records may have lost ids of knocks
 * that were accepted and could still be fresh; the daemon then refuses every knock stamped
 * before (start + max future skew) and every sequence that could have been completed before
 * the start (docs/protocol.md §6, "State that can be lost").
 *
 * A store that never existed is not a lost one: on the first start there is nothing to forget,
 * and refusing knocks for the skew window would only lock out the first client. The two are
 * told apart by a marker file (REPLAY_MARKER) created beside the log when a store is made, and
 * never removed by the daemon: a log that is gone while its marker is still there was lost. A
 * state directory deleted as a whole (marker included) looks like a first start; that is a
 * reinstall, done by root, and documented as such.
 *
 * What cannot be told: a log cut exactly at a record boundary (or an older copy restored from a
 * backup) reads as whole. A crash cannot do that (a record is one write(2), which a dying process
 * does not split); a power loss within the deferred fdatasync's milliseconds can
 * (replay-store.ts), and so can root editing the file.
 */
import type { ParsedRecords } from './record.js';
import { parseRecords } from './record.js';

/** Created beside the log when a store is first made; its presence says "a store existed". */
export const REPLAY_MARKER = 'replay.created';

export type StoreDamage =
  /** The log is gone, its marker is not. */
  | 'missing'
  /** Empty, its header cut off, or its last record cut short. */
  | 'truncated'
  /** Lines that are not records (corruption, zeros after a power loss, stray bytes). */
  | 'unreadable';

export interface StoreAssessment {
  readonly parsed: ParsedRecords;
  /** undefined: the store is whole, or new. */
  readonly damage: StoreDamage | undefined;
  /** No log and no marker: a store is being made for the first time. */
  readonly firstStart: boolean;
}

/** `text`: the log's content, undefined if there is no log. */
export function assessStore(text: string | undefined, markerExists: boolean): StoreAssessment {
  const parsed = parseRecords(text ?? '');
  if (text === undefined)
    return { parsed, damage: markerExists ? 'missing' : undefined, firstStart: !markerExists };
  let damage: StoreDamage | undefined;
  if (text === '' || parsed.tornTail) damage = 'truncated';
  else if (!parsed.header || parsed.skipped > 0) damage = 'unreadable';
  return { parsed, damage, firstStart: false };
}
