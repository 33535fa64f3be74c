/**
 * Two-factor knocks: the message an SSH key signs for a knock, and its verification
 * (docs/protocol.md §12). Pure: the client gets the signature from ssh-agent, the server
 * holds the public key.
 *
 *   message = "spa/v1 ssh-signed knock" ‖ 0x00 ‖ nonce[24] ‖ payload[0..186]
 *
 * payload[0..186] is the request with the signed flag set: version, flags, timestamp,
 * one-time id, server id, duration, address family and address, access list, zero padding.
 * The packet nonce ties the signature to this one packet. The prefix keeps the message
 * apart from anything else an SSH key signs: an SSH user-auth request starts with a
 * uint32 length (here it would read 0x7370612f, far beyond any packet), and SSHSIG
 * blobs start with "SSHSIG".
 *
 * What is verified, per type (as OpenSSH does: ssh-ed25519.c, ssh-ecdsa.c,
 * ssh-ed25519-sk.c, ssh-ecdsa-sk.c; PROTOCOL.u2f "Signature format"):
 *
 *   ssh-ed25519           Ed25519(pk, message)
 *   ecdsa-sha2-nistp256   ECDSA-P256-SHA256(Q, message)
 *   sk-*                  the same algorithm over
 *                         SHA256(application) ‖ flags ‖ u32(counter) ‖ SHA256(message)
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, u32be, utf8 } from './bytes.js';
import { assertBytes } from './errors.js';
import { encodeRequest, type KnockPayload } from './payload.js';
import {
  isEd25519Type,
  isSkType,
  SK_FLAG_USER_PRESENT,
  type SshPublicKey,
  type SshSignature,
} from './ssh-key.js';
import { NONCE_LENGTH, P_SIG_BLOCK } from './wire.js';

export const KNOCK_SIGNATURE_DOMAIN = utf8('spa/v1 ssh-signed knock\0');

/** The bytes the admin's SSH key signs for this knock (throws on a bad payload: caller's bug). */
export function knockSignedMessage(nonce: Uint8Array, payload: KnockPayload): Uint8Array {
  assertBytes(nonce, NONCE_LENGTH, 'nonce');
  const request = encodeRequest(payload, true);
  const message = concat(KNOCK_SIGNATURE_DOMAIN, nonce, request.subarray(0, P_SIG_BLOCK));
  request.fill(0);
  return message;
}

/** Why a signature was refused (all are the reason `signature` on the wire side). */
export type SignatureProblem = 'missing' | 'type' | 'invalid' | 'touch';

export interface SignatureRules {
  /** sk keys: refuse a signature made without the user-presence flag (no touch). */
  readonly requireTouch: boolean;
}

/**
 * Check one knock signature against the client's key. Never throws: a malformed point or
 * signature is `invalid`.
 */
export function checkKnockSignature(
  key: SshPublicKey,
  sig: SshSignature | undefined,
  message: Uint8Array,
  rules: SignatureRules,
): SignatureProblem | 'ok' {
  if (!sig) return 'missing';
  if (sig.type !== key.type) return 'type';
  let signed = message;
  if (isSkType(key.type)) {
    signed = concat(
      sha256(utf8(key.application)),
      Uint8Array.of(sig.flags),
      u32be(sig.counter),
      sha256(message),
    );
  }
  let valid = false;
  try {
    valid = isEd25519Type(key.type)
      ? ed25519.verify(sig.signature, signed, key.point, { zip215: false })
      : // OpenSSH (libcrypto) makes high-S ECDSA signatures as often as low-S ones.
        p256.verify(sig.signature, signed, key.point, { prehash: true, lowS: false });
  } catch {
    valid = false;
  }
  if (!valid) return 'invalid';
  // Checked after the signature, so the flag that is read is one the key really signed.
  if (rules.requireTouch && isSkType(key.type) && (sig.flags & SK_FLAG_USER_PRESENT) === 0) return 'touch';
  return 'ok';
}

/** The same, from a decoded knock and its packet nonce. */
export function checkSignedKnock(
  key: SshPublicKey,
  nonce: Uint8Array,
  payload: KnockPayload,
  rules: SignatureRules,
): SignatureProblem | 'ok' {
  if (!payload.signature) return 'missing';
  return checkKnockSignature(key, payload.signature, knockSignedMessage(nonce, payload), rules);
}
