/**
 * Per-source progress through the candidate sequences (`advanceSequence` from @spa/shared
 * holds the rules). The table is bounded: at most `maxSources` sources, the least recently
 * active evicted first, and an entry is dropped once its gap timeout has passed (lazily on
 * the next knock, and by `sweep`).
 */
import { type Advance, advanceSequence, type CandidateIndex, type Knock, type Progress } from '@spa/shared';

export const DEFAULT_MAX_SOURCES = 10_000;

export interface TrackerSetup {
  readonly gapMs: number;
  readonly maxSources?: number;
  readonly isBurned: (id: string) => boolean;
}

export class SequenceTracker {
  /** source address → progress; Map order is least recently active first. */
  readonly #progress = new Map<string, Progress>();
  readonly #rules: { gapTimeoutMs: number; isBurned: (id: string) => boolean };
  readonly #maxSources: number;
  #evicted = 0;

  constructor(setup: TrackerSetup) {
    this.#rules = { gapTimeoutMs: setup.gapMs, isBurned: setup.isBurned };
    this.#maxSources = setup.maxSources ?? DEFAULT_MAX_SOURCES;
  }

  get size(): number {
    return this.#progress.size;
  }

  /** Sources dropped to keep the table bounded, since start. */
  get evicted(): number {
    return this.#evicted;
  }

  knock(source: string, knock: Knock, atMs: number, index: CandidateIndex): Advance {
    const before = this.#progress.get(source);
    const advance = advanceSequence(before, knock, atMs, index, this.#rules);
    if (before) this.#progress.delete(source);
    if (advance.next) {
      if (this.#progress.size >= this.#maxSources) this.#evictOldest();
      this.#progress.set(source, advance.next);
    }
    return advance;
  }

  /** Drop sources whose last knock is older than the gap timeout; returns how many. */
  sweep(nowMs: number): number {
    let n = 0;
    for (const [source, p] of this.#progress) {
      if (nowMs - p.lastAtMs > this.#rules.gapTimeoutMs) {
        this.#progress.delete(source);
        n++;
      }
    }
    return n;
  }

  /** Forget every source (after a reload changed the candidates). */
  clear(): void {
    this.#progress.clear();
  }

  #evictOldest(): void {
    const oldest = this.#progress.keys().next();
    if (!oldest.done) {
      this.#progress.delete(oldest.value);
      this.#evicted++;
    }
  }
}
