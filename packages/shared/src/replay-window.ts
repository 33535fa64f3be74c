/**
 * Freshness (docs/protocol.md §6): a knock's timestamp must lie within the window around
 * the server's clock, and its one-time id must not have been seen. Ids are remembered only
 * while their timestamp is inside the window: once it falls out, the time check alone
 * rejects a replay, so memory is bounded by (window length × accepted rate), and by
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

export type ReplayVerdict = 'ok' | 'stale' | 'future' | 'replay' | 'busy';

export class ReplayWindow {
  readonly window: TimeWindow;
  readonly capacity: number;
  /** one-time id (hex) → timestamp (ms). */
  readonly #seen = new Map<string, number>();

  constructor(window: TimeWindow = DEFAULT_TIME_WINDOW, capacity = 1_000_000) {
    assertInteger(window.maxPastMs, 0, 86_400_000, 'maxPastMs');
    assertInteger(window.maxFutureMs, 0, 86_400_000, 'maxFutureMs');
    assertInteger(capacity, 1, 100_000_000, 'capacity');
    this.window = window;
    this.capacity = capacity;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Would this knock be fresh? Does not remember it. */
  check(idHex: string, timestampMs: number, nowMs: number): ReplayVerdict {
    const t = checkTimestamp(timestampMs, nowMs, this.window);
    if (t !== 'ok') return t;
    if (this.#seen.has(idHex)) return 'replay';
    if (this.#seen.size >= this.capacity) {
      this.prune(nowMs);
      if (this.#seen.size >= this.capacity) return 'busy';
    }
    return 'ok';
  }

  /** Remember an id (after `check` said ok). */
  remember(idHex: string, timestampMs: number): void {
    this.#seen.set(idHex, timestampMs);
  }

  /** check + remember in one step. */
  accept(idHex: string, timestampMs: number, nowMs: number): ReplayVerdict {
    const v = this.check(idHex, timestampMs, nowMs);
    if (v === 'ok') this.remember(idHex, timestampMs);
    return v;
  }

  /** Forget ids whose timestamp has left the window; returns how many were dropped. */
  prune(nowMs: number): number {
    const oldest = nowMs - this.window.maxPastMs;
    let n = 0;
    for (const [id, ts] of this.#seen) {
      if (ts < oldest) {
        this.#seen.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Live entries, for persistence. */
  entries(): IterableIterator<[string, number]> {
    return this.#seen.entries();
  }
}
