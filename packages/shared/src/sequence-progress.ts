/**
 * One source's progress through the candidate one-time sequences (docs/protocol.md §8.2).
 * Pure: the caller keeps one `Progress` per source address and passes time in.
 *
 * Rules, after the classic iptables `recent` recipe, plus burning and tolerance of noise:
 * - a knock that continues a track (candidates that share the knocks so far) advances it;
 * - a knock that is the first knock of candidates starts a new track beside the others;
 * - a wrong port (one that continues no track) is noise: not progress, and no reset, so a
 *   spoofer who sends SYNs from a client's address cannot deny its sequence. A track that has
 *   seen more than `maxNoise` wrong knocks since its last right one is dropped: a source that
 *   sweeps the range cannot try more than `maxNoise + 1` ports per knock (§8.2 has the numbers);
 * - a gap longer than the timeout since a track's last right knock drops that track;
 * - a repeat of the knock just accepted (a TCP SYN retransmission) changes nothing;
 * - a completed sequence is reported once; the caller burns its id so it never works again,
 *   and burned candidates are never started or advanced.
 * A source holds at most MAX_TRACKS tracks; the least advanced (then the oldest) goes first.
 */
import { type Knock, knockKey } from './sequence.js';

/** Wrong knocks a track survives between two right ones (docs/protocol.md §8.2). */
export const SEQUENCE_MAX_NOISE = 24;
/** Tracks (distinct partial sequences) one source may have in progress at once. */
export const MAX_TRACKS = 4;

export interface SequenceCandidate {
  /** Stable id, e.g. `client/service/step`; what gets burned. */
  readonly id: string;
  readonly knocks: readonly Knock[];
}

/** Candidates whose first `matched` knocks are exactly the right knocks this source sent. */
export interface Track {
  readonly candidates: readonly SequenceCandidate[];
  readonly matched: number;
  /** Time of the track's last right knock. */
  readonly lastAtMs: number;
  /** Wrong knocks since then. */
  readonly noise: number;
}

export interface Progress {
  readonly tracks: readonly Track[];
  /** Time of the last right knock of any track (what the gap timeout is measured from). */
  readonly lastAtMs: number;
}

export interface SequenceRules {
  readonly gapTimeoutMs: number;
  readonly isBurned: (id: string) => boolean;
  /** Default SEQUENCE_MAX_NOISE. */
  readonly maxNoise?: number;
}

/** `noise`: a wrong port while tracks are in progress; `ignored`: nothing in progress either. */
export type Outcome = 'ignored' | 'noise' | 'started' | 'advanced' | 'retransmit' | 'complete';

export interface Advance {
  readonly next: Progress | undefined;
  readonly outcome: Outcome;
  /** Set when a track was dropped by this knock: too much noise, or too late. */
  readonly reset?: 'noise' | 'timeout';
  readonly completed?: SequenceCandidate;
}

/** Index of candidates by their first knock. */
export class CandidateIndex {
  readonly #byFirst = new Map<string, SequenceCandidate[]>();
  #size = 0;

  constructor(candidates: Iterable<SequenceCandidate> = []) {
    for (const c of candidates) this.add(c);
  }

  get size(): number {
    return this.#size;
  }

  add(c: SequenceCandidate): void {
    const first = c.knocks[0];
    if (!first) return;
    const key = knockKey(first);
    const list = this.#byFirst.get(key);
    if (list) list.push(c);
    else this.#byFirst.set(key, [c]);
    this.#size++;
  }

  startingWith(k: Knock): readonly SequenceCandidate[] {
    return this.#byFirst.get(knockKey(k)) ?? [];
  }
}

function same(a: Knock | undefined, b: Knock): boolean {
  return a !== undefined && a.port === b.port && a.protocol === b.protocol;
}

function lastKnock(t: Track): Knock | undefined {
  return t.candidates[0]?.knocks[t.matched - 1];
}

export function advanceSequence(
  progress: Progress | undefined,
  knock: Knock,
  atMs: number,
  index: CandidateIndex,
  rules: SequenceRules,
): Advance {
  const maxNoise = rules.maxNoise ?? SEQUENCE_MAX_NOISE;
  let reset: Advance['reset'];
  const live: Track[] = [];
  for (const t of progress?.tracks ?? []) {
    if (atMs - t.lastAtMs > rules.gapTimeoutMs) reset = 'timeout';
    else live.push(t);
  }
  const tracks: Track[] = [];
  let outcome: Outcome = 'ignored';
  for (const t of live) {
    if (same(lastKnock(t), knock)) {
      tracks.push(t); // a retransmission of its last right knock: neither progress nor noise
      if (outcome === 'ignored' || outcome === 'noise') outcome = 'retransmit';
      continue;
    }
    const matched = t.matched + 1;
    const cont = t.candidates.filter((c) => same(c.knocks[matched - 1], knock) && !rules.isBurned(c.id));
    if (cont.length > 0) {
      const done = cont.find((c) => c.knocks.length === matched);
      if (done) return { next: undefined, outcome: 'complete', completed: done, ...(reset ? { reset } : {}) };
      tracks.push({ candidates: cont, matched, lastAtMs: atMs, noise: 0 });
      outcome = 'advanced';
    } else if (t.noise < maxNoise) {
      tracks.push({ ...t, noise: t.noise + 1 });
      if (outcome === 'ignored') outcome = 'noise';
    } else {
      reset ??= 'noise';
    }
  }
  // A first knock starts a track, unless it only repeats a track's first knock.
  const firsts =
    outcome === 'retransmit' ? [] : index.startingWith(knock).filter((c) => !rules.isBurned(c.id));
  if (firsts.length > 0) {
    const done = firsts.find((c) => c.knocks.length === 1);
    if (done) return { next: undefined, outcome: 'complete', completed: done, ...(reset ? { reset } : {}) };
    tracks.push({ candidates: firsts, matched: 1, lastAtMs: atMs, noise: 0 });
    if (outcome !== 'advanced') outcome = 'started';
  }
  if (tracks.length === 0) return { next: undefined, outcome, ...(reset ? { reset } : {}) };
  // Most advanced first, then most recent: what a bound of MAX_TRACKS keeps.
  tracks.sort((x, y) => y.matched - x.matched || y.lastAtMs - x.lastAtMs);
  tracks.length = Math.min(tracks.length, MAX_TRACKS);
  const lastAtMs = Math.max(...tracks.map((t) => t.lastAtMs));
  return { next: { tracks, lastAtMs }, outcome, ...(reset ? { reset } : {}) };
}
