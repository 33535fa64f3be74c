/**
 * One-time knock sequences (docs/protocol.md §8): the replacement for static port-knock
 * sequences. For client c, service s and step T, the sequence is N distinct ports in the
 * sequence range drawn from an HMAC-SHA256 stream:
 *
 *   block j = HMAC(sequence key of c, "spa/v1 sequence" ‖ u64 T ‖ u8 len(s) ‖ s ‖ u32 j)
 *
 * read as big-endian 32-bit words, one word per knock: port = lo + (w mod size) in single-
 * protocol mode; in mixed mode the top bit picks the protocol (0 tcp, 1 udp) and
 * port = lo + ((w & 0x7fffffff) mod size). A port already in the sequence is skipped.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, u32be, u64be, utf8 } from './bytes.js';
import { assertBytes, assertInteger, SpaError } from './errors.js';
import { assertRange, DEFAULT_SEQUENCE_RANGE, type PortRange } from './knock-port.js';
import type { L4Protocol } from './payload.js';
import { SERVICE_NAME_PATTERN } from './wire.js';

export type SequenceProtocol = L4Protocol | 'mixed';

export interface SequenceSpec {
  /** Knocks per sequence (default 4). */
  readonly length: number;
  readonly protocol: SequenceProtocol;
  readonly range: PortRange;
}

export const DEFAULT_SEQUENCE: SequenceSpec = { length: 4, protocol: 'tcp', range: DEFAULT_SEQUENCE_RANGE };
export const SEQUENCE_LENGTH_MAX = 16;

export interface Knock {
  readonly protocol: L4Protocol;
  readonly port: number;
}

const SEQ_LABEL = utf8('spa/v1 sequence');
const MAX_BLOCKS = 64;

export function assertSequenceSpec(spec: SequenceSpec): void {
  assertInteger(spec.length, 1, SEQUENCE_LENGTH_MAX, 'sequence length');
  if (!['tcp', 'udp', 'mixed'].includes(spec.protocol)) {
    throw new SpaError('bad-argument', `sequence protocol: expected tcp, udp or mixed, got ${spec.protocol}`);
  }
  // Enough room that distinct ports are always found quickly and guessing stays hard.
  assertRange(spec.range, 'sequence port range', spec.length * 16);
}

export function deriveSequence(
  sequenceKey: Uint8Array,
  step: number,
  service: string,
  spec: SequenceSpec,
): Knock[] {
  assertBytes(sequenceKey, 32, 'sequence key');
  assertInteger(step, 0, Number.MAX_SAFE_INTEGER, 'step');
  if (!SERVICE_NAME_PATTERN.test(service)) throw new SpaError('bad-argument', `service name "${service}"`);
  assertSequenceSpec(spec);
  const size = spec.range[1] - spec.range[0] + 1;
  const prefix = concat(SEQ_LABEL, u64be(step), Uint8Array.of(service.length), utf8(service));
  const knocks: Knock[] = [];
  const used = new Set<number>();
  for (let j = 0; j < MAX_BLOCKS && knocks.length < spec.length; j++) {
    const block = hmac(sha256, sequenceKey, concat(prefix, u32be(j)));
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    for (let w = 0; w < 8 && knocks.length < spec.length; w++) {
      const word = view.getUint32(w * 4);
      let protocol: L4Protocol = spec.protocol === 'udp' ? 'udp' : 'tcp';
      let port: number;
      if (spec.protocol === 'mixed') {
        protocol = word >>> 31 ? 'udp' : 'tcp';
        port = spec.range[0] + ((word & 0x7fffffff) % size);
      } else {
        port = spec.range[0] + (word % size);
      }
      if (used.has(port)) continue;
      used.add(port);
      knocks.push({ protocol, port });
    }
  }
  // Unreachable with a validated spec (range ≥ 16 × length); kept as a guard.
  if (knocks.length < spec.length) throw new SpaError('internal', 'sequence derivation ran out of blocks');
  return knocks;
}

export function knockKey(k: Knock): string {
  return `${k.protocol}:${k.port}`;
}
