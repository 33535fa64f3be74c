/**
 * Client lookup (docs/protocol.md §4). The server must find the client of a packet in
 * O(1) and spend at most one MAC on a forged one, yet the wire must show no static bytes.
 *
 * - lookup tag:  L(c, T) = HMAC-SHA256(lookup key of c, "spa/v1 lookup" ‖ u64 T)[0..8]
 * - on the wire: L(c, T) XOR HChaCha20(header key, nonce[0..16])[0..8]
 *
 * The header key belongs to the server and every client of it holds it. An outsider sees
 * 8 bytes that are fresh random for each packet. Another client of the same server can
 * unmask the tag and link two packets of one client within one step, but not across steps,
 * and cannot tell which client it is. The server keeps a table of L(c, T) for the steps in
 * its time window: a hash-map hit picks the one client whose MAC is then checked.
 */
import { hchacha } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, u64be, utf8 } from './bytes.js';
import { assertBytes } from './errors.js';
import { LOOKUP_LENGTH, LOOKUP_OFFSET, NONCE_LENGTH, NONCE_OFFSET } from './wire.js';

const LOOKUP_LABEL = utf8('spa/v1 lookup');
// "expand 32-byte k" (RFC 8439 §2.3) as little-endian words.
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

export function lookupTag(lookupKey: Uint8Array, step: number): Uint8Array {
  assertBytes(lookupKey, 32, 'lookup key');
  return hmac(sha256, lookupKey, concat(LOOKUP_LABEL, u64be(step))).slice(0, LOOKUP_LENGTH);
}

/**
 * Masks and unmasks lookup tags with the server's header key. Holds the key as words so
 * the hot path (every packet on a knock port) is one HChaCha20 core and no allocation.
 */
export class LookupMask {
  readonly #key = new Uint32Array(8);
  readonly #input = new Uint32Array(4);
  readonly #out = new Uint32Array(8);

  constructor(headerKey: Uint8Array) {
    assertBytes(headerKey, 32, 'header key');
    const v = new DataView(headerKey.buffer, headerKey.byteOffset, 32);
    for (let i = 0; i < 8; i++) this.#key[i] = v.getUint32(i * 4, true);
  }

  /** The 8 mask bytes for a packet's nonce, as two little-endian words [w0, w1]. */
  #words(packet: Uint8Array): Uint32Array {
    const v = new DataView(packet.buffer, packet.byteOffset + NONCE_OFFSET, 16);
    for (let i = 0; i < 4; i++) this.#input[i] = v.getUint32(i * 4, true);
    hchacha(SIGMA, this.#key, this.#input, this.#out);
    return this.#out;
  }

  /** Unmask the lookup field of a packet (at least HEADER_LENGTH bytes) into a table key. */
  unmask(packet: Uint8Array): LookupKey {
    const w = this.#words(packet);
    const v = new DataView(packet.buffer, packet.byteOffset + LOOKUP_OFFSET, LOOKUP_LENGTH);
    return { hi: (v.getUint32(0, true) ^ w[0]!) >>> 0, lo: (v.getUint32(4, true) ^ w[1]!) >>> 0 };
  }

  /** Write the masked tag into a packet whose nonce is already in place. */
  mask(packet: Uint8Array, tag: Uint8Array): void {
    assertBytes(tag, LOOKUP_LENGTH, 'lookup tag');
    if (packet.length < NONCE_LENGTH + LOOKUP_LENGTH) throw new RangeError('packet too short');
    const w = this.#words(packet);
    const t = new DataView(tag.buffer, tag.byteOffset, LOOKUP_LENGTH);
    const v = new DataView(packet.buffer, packet.byteOffset + LOOKUP_OFFSET, LOOKUP_LENGTH);
    v.setUint32(0, (t.getUint32(0, true) ^ w[0]!) >>> 0, true);
    v.setUint32(4, (t.getUint32(4, true) ^ w[1]!) >>> 0, true);
  }
}

/** A lookup tag as two 32-bit words (little-endian reading of its 8 bytes). */
export interface LookupKey {
  readonly hi: number;
  readonly lo: number;
}

export function lookupKeyOf(tag: Uint8Array): LookupKey {
  assertBytes(tag, LOOKUP_LENGTH, 'lookup tag');
  const v = new DataView(tag.buffer, tag.byteOffset, LOOKUP_LENGTH);
  return { hi: v.getUint32(0, true), lo: v.getUint32(4, true) };
}
