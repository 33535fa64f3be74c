/**
 * Freshness (docs/protocol.md §6): a knock's timestamp must lie within the window around
 * the server's clock, and its one-time id must not have been seen.
 *
 * Two clocks, both passed in: the wall clock (`nowMs`, what timestamps are compared with) and a
 * monotonic one (`monoMs`, which no clock step moves). An id is forgotten only when both say it
 * can go: its timestamp has left the window by the wall clock, AND it has been remembered for
 * at least `holdMs` = max past + max future of monotonic time. So a wall clock stepped forward
 * for a moment cannot make a prune drop an id that is still fresh once the clock is put back.
 *
 * And a step back by more than the window after an id was forgotten cannot make it fresh
 * again either: every forgotten id raises a floor to its timestamp, and a knock stamped at or
 * before the floor is refused as `forgotten` (its id may have been seen; nothing remembers).
 * With a clock that only moves forward the floor lies behind the window and refuses nothing the
 * time check would pass. A caller that lost its memory (a damaged store) raises the floor
 * itself (`raiseFloor`).
 *
 * Memory stays bounded by (hold or window, whichever is longer) × accepted rate, and by
 * `capacity` as a hard cap.
 */
import { assertInteger } from './errors.js';

export interface TimeWindow {
  /** How far in the past a timestamp may be. */
  readonly maxPastMs: number;
  /** How far in the future (a client clock running ahead). */
  readonly maxFutureMs: number;
}

export const DEFAULT_TIME_WINDOW: TimeWindow = { maxPastMs: 30_000, maxFutureMs: 30_000 };

export type Freshness = 'ok' | 'stale' | 'future';

export function checkTimestamp(timestampMs: number, nowMs: number, w: TimeWindow): Freshness {
  if (timestampMs < nowMs - w.maxPastMs) return 'stale';
  if (timestampMs > nowMs + w.maxFutureMs) return 'future';
  return 'ok';
}

export type ReplayVerdict = 'ok' | 'stale' | 'future' | 'replay' | 'forgotten' | 'busy';

/** How long an id is remembered at least, in monotonic time: the whole window. */
export function holdMs(w: TimeWindow): number {
  return w.maxPastMs + w.maxFutureMs;
}

interface Seen {
  readonly timestampMs: number;
  /** Monotonic time before which the id is kept whatever the wall clock says. */
  readonly holdUntilMs: number;
}

export class ReplayWindow {
  readonly window: TimeWindow;
  readonly capacity: number;
  readonly #holdMs: number;
  /** one-time id (hex) → when it was stamped and how long it is held. Insertion order = monotonic order. */
  readonly #seen = new Map<string, Seen>();
  /** Knocks stamped before this are refused as `forgotten`. */
  #floorMs = Number.NEGATIVE_INFINITY;

  constructor(window: TimeWindow = DEFAULT_TIME_WINDOW, capacity = 1_000_000) {
    assertInteger(window.maxPastMs, 0, 86_400_000, 'maxPastMs');
    assertInteger(window.maxFutureMs, 0, 86_400_000, 'maxFutureMs');
    assertInteger(capacity, 1, 100_000_000, 'capacity');
    this.window = window;
    this.capacity = capacity;
    this.#holdMs = holdMs(window);
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Knocks stamped before this are refused as `forgotten` (-Infinity: none). */
  get floorMs(): number {
    return this.#floorMs;
  }

  /** Refuse every knock stamped before `ms` from now on (a floor only rises). */
  raiseFloor(ms: number): void {
    if (ms > this.#floorMs) this.#floorMs = ms;
  }

  /**
   * Would this knock be fresh? Does not remember it. Order: time window, seen (`replay`),
   * floor (`forgotten`), room left (`busy`).
   */
  check(idHex: string, timestampMs: number, nowMs: number, monoMs: number): ReplayVerdict {
    const t = checkTimestamp(timestampMs, nowMs, this.window);
    if (t !== 'ok') return t;
    if (this.#seen.has(idHex)) return 'replay';
    if (timestampMs < this.#floorMs) return 'forgotten';
    if (this.#seen.size >= this.capacity) {
      this.prune(nowMs, monoMs);
      if (this.#seen.size >= this.capacity) return 'busy';
    }
    return 'ok';
  }

  /** Remember an id (after `check` said ok), held from `monoMs` on. */
  remember(idHex: string, timestampMs: number, monoMs: number): void {
    this.#seen.delete(idHex); // keep insertion order = monotonic order
    this.#seen.set(idHex, { timestampMs, holdUntilMs: monoMs + this.#holdMs });
  }

  /** check + remember in one step. */
  accept(idHex: string, timestampMs: number, nowMs: number, monoMs: number): ReplayVerdict {
    const v = this.check(idHex, timestampMs, nowMs, monoMs);
    if (v === 'ok') this.remember(idHex, timestampMs, monoMs);
    return v;
  }

  /**
   * Forget ids that are both out of the window (wall clock) and past their hold (monotonic);
   * each raises the floor to its timestamp + 1. Returns how many were dropped.
   */
  prune(nowMs: number, monoMs: number): number {
    const oldest = nowMs - this.window.maxPastMs;
    let n = 0;
    for (const [id, seen] of this.#seen) {
      // Held ids come last (insertion order is monotonic order): nothing after can go either.
      if (seen.holdUntilMs > monoMs) break;
      if (seen.timestampMs < oldest) {
        this.#seen.delete(id);
        this.raiseFloor(seen.timestampMs + 1);
        n++;
      }
    }
    return n;
  }

  /** Live entries (id, timestamp), for persistence. */
  *entries(): IterableIterator<[string, number]> {
    for (const [id, seen] of this.#seen) yield [id, seen.timestampMs];
  }
}
