/**
 * Time steps, as in TOTP (RFC 6238 §4): T = floor((now - T0) / X) with T0 = 0 and
 * X = the step length in seconds. Knock ports, lookup tags and sequences change per step.
 */
import { assertInteger } from './errors.js';

export const DEFAULT_STEP_SECONDS = 30;

export function timeStep(nowMs: number, stepSeconds: number): number {
  assertInteger(stepSeconds, 1, 3600, 'step seconds');
  return Math.floor(nowMs / (stepSeconds * 1000));
}

export function stepStartMs(step: number, stepSeconds: number): number {
  return step * stepSeconds * 1000;
}

/** Milliseconds left in the step that contains `nowMs`. */
export function msLeftInStep(nowMs: number, stepSeconds: number): number {
  return stepStartMs(timeStep(nowMs, stepSeconds) + 1, stepSeconds) - nowMs;
}
