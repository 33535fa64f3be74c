/**
 * Tells a step of the wall clock (a host booted before NTP, `date -s`, a VM restored from a
 * snapshot) from the drift between the wall clock and a monotonic one: the offset
 * wall − monotonic stays put (NTP slews at most 0.5 ms/s) unless the wall clock was set.
 * Pure: both times are passed in.
 */

/** A change of wall − monotonic larger than this is a step (and logged at warn). */
export const CLOCK_STEP_WARN_MS = 2_000;

export class ClockWatch {
  #offsetMs: number;

  constructor(nowMs: number, monoMs: number) {
    this.#offsetMs = nowMs - monoMs;
  }

  /** How far the wall clock was stepped since the last look (ms, signed), or 0 if it was not. */
  observe(nowMs: number, monoMs: number): number {
    const offset = nowMs - monoMs;
    const stepMs = offset - this.#offsetMs;
    this.#offsetMs = offset;
    return Math.abs(stepMs) > CLOCK_STEP_WARN_MS ? Math.round(stepMs) : 0;
  }
}
