/**
 * A token bucket with the clock passed in (no timers, no Date): `rate` tokens per second up to
 * `burst`. Time going backwards (a wall-clock step) refills nothing and does not stall the
 * bucket: the next call measures from the earlier time.
 */
export class TokenBucket {
  readonly #ratePerMs: number;
  readonly #burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(ratePerSecond: number, burst: number, nowMs: number) {
    this.#ratePerMs = ratePerSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#lastMs = nowMs;
  }

  /** Takes `n` tokens if there are that many now; false (and nothing taken) otherwise. */
  take(n: number, nowMs: number): boolean {
    const elapsed = nowMs - this.#lastMs;
    if (elapsed > 0) this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#ratePerMs);
    this.#lastMs = nowMs;
    if (this.#tokens < n) return false;
    this.#tokens -= n;
    return true;
  }
}
