/**
 * Open one fwknop SPA packet (Rijndael + HMAC mode), cheapest check first:
 * shape → HMAC (constant time, before any decryption) → base64 → "Salted__" →
 * AES-256-CBC + padding → digest → fields → version → message. Never throws on packet
 * bytes: every failure is an FwknopReason.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalConstantTime, wipe } from '../bytes.js';
import { fromBase64NoPad } from './base64.js';
import { decryptFwknopBlob } from './cipher.js';
import { type FwknopMessage, parseFwknopPlaintext } from './fields.js';
import { fwknopBodyLength, fwknopMac, type PreparedFwknopClient } from './mac.js';
import type { FwknopVerdict } from './reasons.js';
import { SALTED_PREFIX_B64 } from './wire.js';

export const FWKNOP_REPLAY_ID_LENGTH = 16;

export function openFwknop(data: Uint8Array, client: PreparedFwknopClient): FwknopVerdict<FwknopMessage> {
  const bodyLength = fwknopBodyLength(data, client.macLength);
  if (bodyLength < 0) return { ok: false, reason: 'fwknop-shape' };
  const body = data.subarray(0, bodyLength);
  if (!equalConstantTime(fwknopMac(client, body), data.subarray(bodyLength)))
    return { ok: false, reason: 'mac' };
  // The body is base64 alphabet only (checked by the shape), so this is plain ASCII.
  const blob = fromBase64NoPad(SALTED_PREFIX_B64 + String.fromCharCode(...body));
  if (!blob) return { ok: false, reason: 'fwknop-decrypt' };
  const plaintext = decryptFwknopBlob(blob, client.encKey);
  if (!plaintext) return { ok: false, reason: 'fwknop-decrypt' };
  const verdict = parseFwknopPlaintext(plaintext);
  wipe(plaintext, blob);
  return verdict;
}

/** 16-byte one-time id for the replay store: SHA-256 of the (HMAC-verified) wire data, truncated. */
export function fwknopReplayId(data: Uint8Array): Uint8Array {
  return sha256(data).slice(0, FWKNOP_REPLAY_ID_LENGTH);
}
