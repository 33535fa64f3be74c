/**
 * Mutations of a valid frame: what a fuzzer does to get past the first checks. Each returns
 * a new frame; the input is not changed.
 */
import type { Prng } from './prng.js';

export type Mutation = 'bit-flip' | 'byte-set' | 'truncate' | 'extend' | 'header' | 'payload' | 'splice';

export const MUTATIONS: readonly Mutation[] = [
  'bit-flip',
  'byte-set',
  'truncate',
  'extend',
  'header',
  'payload',
  'splice',
];

/** Interesting values for header fields: lengths, versions, protocols, flags. */
const MAGIC = [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x0f, 0x11, 0x3a, 0x40, 0x45, 0x60, 0x7f, 0x80, 0xff];

export function mutate(frame: Uint8Array, payloadAt: number, kind: Mutation, rng: Prng): Uint8Array {
  const out = Uint8Array.from(frame);
  switch (kind) {
    case 'bit-flip': {
      const n = 1 + rng.int(8);
      for (let i = 0; i < n; i++) {
        const at = rng.int(out.length);
        out[at] = out[at]! ^ (1 << rng.int(8));
      }
      return out;
    }
    case 'byte-set': {
      out[rng.int(out.length)] = rng.int(256);
      return out;
    }
    case 'truncate':
      return out.slice(0, rng.int(out.length));
    case 'extend': {
      const longer = new Uint8Array(out.length + 1 + rng.int(64));
      longer.set(out);
      longer.set(rng.bytes(longer.length - out.length), out.length);
      return longer;
    }
    case 'header': {
      // One or two bytes of the link, IP or transport headers set to a boundary value.
      const n = 1 + rng.int(2);
      for (let i = 0; i < n; i++) out[rng.int(Math.min(payloadAt, out.length))] = rng.pick(MAGIC);
      return out;
    }
    case 'payload': {
      // Damage inside the knock only: the parser passes it, the crypto must refuse it.
      const len = out.length - payloadAt;
      if (len <= 0) return out;
      const at = payloadAt + rng.int(len);
      out[at] = out[at]! ^ (1 + rng.int(255));
      return out;
    }
    case 'splice': {
      // A run of random bytes over part of the frame.
      const at = rng.int(out.length);
      const run = rng.bytes(Math.min(out.length - at, 1 + rng.int(32)));
      out.set(run, at);
      return out;
    }
  }
}
