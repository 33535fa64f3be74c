/**
 * One source's progress through the candidate one-time sequences (docs/protocol.md §8.2).
 * Pure: the caller keeps one `Progress` per source address and passes time in.
 *
 * Rules, as in the classic iptables `recent` recipe, plus burning:
 * - a knock that continues at least one candidate advances it;
 * - a wrong port (a knock that continues none) sends the source back to the start, where
 *   the same knock is considered again as a possible first knock;
 * - a gap longer than the timeout since the last accepted knock also resets;
 * - a repeat of the knock just accepted (a TCP SYN retransmission) changes nothing;
 * - a completed sequence is reported once; the caller burns its id so it never works again,
 *   and burned candidates are never started or advanced.
 */
import { type Knock, knockKey } from './sequence.js';

export interface SequenceCandidate {
  /** Stable id, e.g. `client/service/step`; what gets burned. */
  readonly id: string;
  readonly knocks: readonly Knock[];
}

export interface Progress {
  /** Candidates whose first `matched` knocks are exactly what this source sent. */
  readonly candidates: readonly SequenceCandidate[];
  readonly matched: number;
  readonly lastAtMs: number;
}

export interface SequenceRules {
  readonly gapTimeoutMs: number;
  readonly isBurned: (id: string) => boolean;
}

export type Outcome = 'ignored' | 'started' | 'advanced' | 'retransmit' | 'complete';

export interface Advance {
  readonly next: Progress | undefined;
  readonly outcome: Outcome;
  /** Set when earlier progress was dropped by this knock. */
  readonly reset?: 'wrong-port' | 'timeout';
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

export function advanceSequence(
  progress: Progress | undefined,
  knock: Knock,
  atMs: number,
  index: CandidateIndex,
  rules: SequenceRules,
): Advance {
  let reset: Advance['reset'];
  let current = progress;
  if (current && atMs - current.lastAtMs > rules.gapTimeoutMs) {
    current = undefined;
    reset = 'timeout';
  }
  if (current) {
    if (same(current.candidates[0]?.knocks[current.matched - 1], knock)) {
      return { next: current, outcome: 'retransmit' };
    }
    const matched = current.matched + 1;
    const cont = current.candidates.filter(
      (c) => same(c.knocks[matched - 1], knock) && !rules.isBurned(c.id),
    );
    if (cont.length > 0) {
      const done = cont.find((c) => c.knocks.length === matched);
      if (done) return { next: undefined, outcome: 'complete', completed: done };
      return { next: { candidates: cont, matched, lastAtMs: atMs }, outcome: 'advanced' };
    }
    reset = 'wrong-port';
  }
  const firsts = index.startingWith(knock).filter((c) => !rules.isBurned(c.id));
  if (firsts.length === 0) return reset ? { next: undefined, outcome: 'ignored', reset } : IGNORED;
  const done = firsts.find((c) => c.knocks.length === 1);
  if (done) return { next: undefined, outcome: 'complete', completed: done, ...(reset ? { reset } : {}) };
  return {
    next: { candidates: firsts, matched: 1, lastAtMs: atMs },
    outcome: 'started',
    ...(reset ? { reset } : {}),
  };
}

const IGNORED: Advance = Object.freeze({ next: undefined, outcome: 'ignored' });
