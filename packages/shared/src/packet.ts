/**
 * Seal and open one SPA packet (layout in wire.ts, docs/protocol.md §3).
 *
 * Seal: nonce ‖ masked lookup tag ‖ XChaCha20-Poly1305(payload, AAD = those 32 bytes)
 *       ‖ HMAC-SHA256 knock tag over everything before it.
 * Open: length, knock tag in constant time, then decrypt, then decode. Never throws on
 *       packet bytes.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalConstantTime } from './bytes.js';
import { assertBytes } from './errors.js';
import type { ClientKeys } from './keys.js';
import { type LookupMask, lookupTag } from './lookup.js';
import { decodePayload, encodePayload, type KnockPayload } from './payload.js';
import type { Verdict } from './reasons.js';
import { timeStep } from './step.js';
import {
  CIPHERTEXT_OFFSET,
  HEADER_LENGTH,
  KNOCK_TAG_LENGTH,
  KNOCK_TAG_OFFSET,
  NONCE_LENGTH,
  NONCE_OFFSET,
  PACKET_LENGTH,
} from './wire.js';

type HmacState = ReturnType<typeof hmac.create>;

/** A client's keys with the HMAC key schedule done once, for the server's hot path. */
export interface PreparedClient {
  readonly keys: ClientKeys;
  readonly macState: HmacState;
}

export function prepareClient(keys: ClientKeys): PreparedClient {
  return { keys, macState: hmac.create(sha256, keys.mac) };
}

export interface SealParams {
  readonly keys: ClientKeys;
  /** The server's lookup mask (from its header key). */
  readonly mask: LookupMask;
  readonly stepSeconds: number;
  readonly payload: KnockPayload;
  /** 24 fresh random bytes: never reuse. */
  readonly nonce: Uint8Array;
}

export function sealKnock(p: SealParams): Uint8Array {
  assertBytes(p.nonce, NONCE_LENGTH, 'nonce');
  const plaintext = encodePayload(p.payload);
  const packet = new Uint8Array(PACKET_LENGTH);
  packet.set(p.nonce, NONCE_OFFSET);
  p.mask.mask(packet, lookupTag(p.keys.lookup, timeStep(p.payload.timestampMs, p.stepSeconds)));
  const header = packet.slice(0, HEADER_LENGTH);
  const sealed = xchacha20poly1305(p.keys.enc, p.nonce, header).encrypt(plaintext);
  packet.set(sealed, CIPHERTEXT_OFFSET);
  packet.set(hmac(sha256, p.keys.mac, packet.subarray(0, KNOCK_TAG_OFFSET)), KNOCK_TAG_OFFSET);
  plaintext.fill(0);
  return packet;
}

/** Knock tag check (constant time), then AEAD decryption, then payload decoding. */
export function openKnock(packet: Uint8Array, client: PreparedClient): Verdict<KnockPayload> {
  if (!(packet instanceof Uint8Array) || packet.length !== PACKET_LENGTH)
    return { ok: false, reason: 'length' };
  const tag = client.macState.clone().update(packet.subarray(0, KNOCK_TAG_OFFSET)).digest();
  if (!equalConstantTime(tag, packet.subarray(KNOCK_TAG_OFFSET, KNOCK_TAG_OFFSET + KNOCK_TAG_LENGTH))) {
    return { ok: false, reason: 'mac' };
  }
  let plaintext: Uint8Array;
  try {
    const nonce = packet.subarray(NONCE_OFFSET, NONCE_OFFSET + NONCE_LENGTH);
    plaintext = xchacha20poly1305(client.keys.enc, nonce, packet.subarray(0, HEADER_LENGTH)).decrypt(
      packet.subarray(CIPHERTEXT_OFFSET, KNOCK_TAG_OFFSET),
    );
  } catch {
    return { ok: false, reason: 'mac' };
  }
  const decoded = decodePayload(plaintext);
  plaintext.fill(0);
  return decoded;
}
