/**
 * Decoys: packets to ports the server does not watch, alike in size and kind, sent in a
 * random order among the real ones so an observer on the path cannot tell which mattered.
 * Pure: randomness comes in as a function returning bytes.
 */
import { type ClientProfile, DEFAULT_SEQUENCE_RANGE, inRange, type PortRange } from '@spa/shared';

export type Random = (length: number) => Uint8Array;

/** Uniform integer in [0, n) from 32-bit draws (rejection sampling, no modulo bias). */
export function randomBelow(random: Random, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new RangeError(`randomBelow: bad bound ${n}`);
  const limit = 0x100000000 - (0x100000000 % n);
  for (;;) {
    const b = random(4);
    const w = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (w < limit) return w % n;
  }
}

/** Lowest port a decoy goes to: below are well-known services, where a stray packet is rude. */
export const DECOY_PORT_MIN = 1024;

/** Ports a decoy must avoid: the knock range or port, the sequence range, the services. */
export function watchedBy(profile: ClientProfile): (port: number) => boolean {
  const ranges: PortRange[] = [profile.sequence?.range ?? DEFAULT_SEQUENCE_RANGE];
  if (profile.knock.mode === 'rotating') ranges.push(profile.knock.range);
  else ranges.push([profile.knock.port, profile.knock.port]);
  const services = new Set(Object.values(profile.services).map((s) => s.port));
  return (port) => services.has(port) || ranges.some((r) => inRange(port, r));
}

export function decoyPort(random: Random, watched: (port: number) => boolean): number {
  for (let i = 0; i < 1000; i++) {
    const port = DECOY_PORT_MIN + randomBelow(random, 65536 - DECOY_PORT_MIN);
    if (!watched(port)) return port;
  }
  throw new Error('no free port for a decoy'); // only if the watched ranges cover 1024-65535
}

export type Slot<R, D> =
  | { readonly real: true; readonly item: R }
  | { readonly real: false; readonly item: D };

/**
 * Real items in their order, decoys at random places before, between and after them. At most
 * `maxBetween` decoys go between two real items (so a sequence's gap timeout still holds);
 * the rest go before the first or after the last.
 */
export function interleave<R, D>(
  real: readonly R[],
  decoys: readonly D[],
  random: Random,
  maxBetween = Number.POSITIVE_INFINITY,
): Slot<R, D>[] {
  const slots = real.length + 1; // slot i: before real[i]; slot real.length: after the last
  const counts = new Array<number>(slots).fill(0);
  for (let d = 0; d < decoys.length; d++) {
    let s = randomBelow(random, slots);
    if (s > 0 && s < real.length && counts[s]! >= maxBetween)
      s = randomBelow(random, 2) === 0 ? 0 : real.length;
    counts[s]!++;
  }
  const out: Slot<R, D>[] = [];
  let next = 0;
  for (let s = 0; s < slots; s++) {
    for (let k = 0; k < counts[s]!; k++) out.push({ real: false, item: decoys[next++]! });
    const r = real[s];
    if (s < real.length) out.push({ real: true, item: r as R });
  }
  return out;
}
