/**
 * The daemon's two clocks, behind one small interface handed to it (deps.ts): the wall clock
 * (`now`: knock timestamps, steps, knock ports) and a monotonic one (`monotonic`: how long
 * something has been remembered; no clock step moves it).
 *
 * A wall clock can step: a machine booted before NTP, an operator's `date -s`, a VM restored
 * from a snapshot. `ClockWatch` tells a step from the drift between the two: the offset
 * wall − monotonic stays put (NTP slews at most 0.5 ms/s) unless the wall clock was set.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Wall clock, ms since the epoch. */
  now(): number;
  /** Monotonic clock, ms from an arbitrary origin. */
  monotonic(): number;
}

export const systemClock: Clock = { now: () => Date.now(), monotonic: () => performance.now() };

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
