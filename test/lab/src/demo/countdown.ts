/**
 * A visible wait: on a terminal a countdown that updates in place each second, elsewhere one
 * line saying how long and why. Bounded by construction: it waits until `untilMs`, no longer.
 */
import type { Transcript } from './transcript.js';

const TICK_MS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

/** Waits until the wall-clock time `untilMs`, telling the reader `why`. */
export async function countdown(t: Transcript, untilMs: number, why: string): Promise<void> {
  const total = Math.max(0, Math.ceil((untilMs - Date.now()) / 1000));
  if (!t.color) {
    t.say(`… waiting ${total} s ${why}`);
    await sleep(untilMs - Date.now());
    return;
  }
  for (;;) {
    const left = untilMs - Date.now();
    if (left <= 0) break;
    t.progress(`… waiting ${Math.ceil(left / 1000)} s ${why}`);
    await sleep(Math.min(left, left % TICK_MS || TICK_MS));
  }
  t.progress(`… waited ${total} s ${why}`, true);
}

/** Time left in the current step of `stepSeconds` (the window a sequence or knock port lives in). */
export function msLeftInStep(nowMs: number, stepSeconds: number): number {
  const stepMs = stepSeconds * 1000;
  return stepMs - (nowMs % stepMs);
}
