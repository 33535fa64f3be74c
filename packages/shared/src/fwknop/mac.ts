/**
 * The cheap, pre-decryption half of opening an fwknop packet: the shape check and the
 * HMAC, in constant time. The HMAC is over the body with "U2FsdGVkX1" put back in
 * front (that is what the client's HMAC covers), base64 without '=' after the body.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { equalConstantTime, utf8 } from '../bytes.js';
import { assertBytes, SpaError } from '../errors.js';
import { base64Length, isBase64Chars, toBase64NoPad } from './base64.js';
import {
  AES_BLOCK,
  DIGEST_B64_LENGTH,
  type FwknopDigest,
  MAX_WIRE_LENGTH,
  MIN_BLOB_LENGTH,
  SALTED_PREFIX_B64,
} from './wire.js';

export interface FwknopKeys {
  /** Rijndael key: KEY_BASE64 decoded, or the KEY passphrase's bytes (1..32 bytes). */
  readonly encKey: Uint8Array;
  /** HMAC_KEY_BASE64 decoded (1..128 bytes). */
  readonly hmacKey: Uint8Array;
  readonly hmacDigest: FwknopDigest;
}

type HmacState = ReturnType<typeof hmac.create>;

/** A client's fwknop keys with the HMAC key schedule (and the fixed prefix) done once. */
export interface PreparedFwknopClient {
  readonly encKey: Uint8Array;
  readonly hmacDigest: FwknopDigest;
  /** Unpadded base64 length of the HMAC at the end of the wire data. */
  readonly macLength: number;
  /** HMAC state that has already absorbed SALTED_PREFIX_B64. */
  readonly macState: HmacState;
}

export const FWKNOP_HASHES = { sha256, sha384, sha512 } as const;
export const MAX_ENC_KEY_LENGTH = 32;
export const MAX_HMAC_KEY_LENGTH = 128;

const PREFIX = utf8(SALTED_PREFIX_B64);

export function prepareFwknopClient(keys: FwknopKeys): PreparedFwknopClient {
  assertBytes(keys.encKey, undefined, 'encKey');
  assertBytes(keys.hmacKey, undefined, 'hmacKey');
  if (keys.encKey.length < 1 || keys.encKey.length > MAX_ENC_KEY_LENGTH)
    throw new SpaError('bad-argument', `encKey: expected 1..${MAX_ENC_KEY_LENGTH} bytes`);
  if (keys.hmacKey.length < 1 || keys.hmacKey.length > MAX_HMAC_KEY_LENGTH)
    throw new SpaError('bad-argument', `hmacKey: expected 1..${MAX_HMAC_KEY_LENGTH} bytes`);
  const hash = FWKNOP_HASHES[keys.hmacDigest];
  if (!hash) throw new SpaError('bad-argument', `hmacDigest: expected sha256, sha384 or sha512`);
  return {
    encKey: Uint8Array.from(keys.encKey),
    hmacDigest: keys.hmacDigest,
    macLength: DIGEST_B64_LENGTH[keys.hmacDigest],
    macState: hmac.create(hash, keys.hmacKey).update(PREFIX),
  };
}

/**
 * Length of the body (the part before the HMAC) if `data` has the shape of an fwknop
 * packet with a MAC of `macLength` characters, else -1. Checks: total length, base64
 * alphabet only, a body length that a whole number of cipher blocks gives, and no kept
 * "U2FsdGVkX1" prefix (fwknopd refuses those too).
 */
export function fwknopBodyLength(data: Uint8Array, macLength: number): number {
  if (!(data instanceof Uint8Array) || data.length > MAX_WIRE_LENGTH) return -1;
  const bodyLength = data.length - macLength;
  const b64Length = bodyLength + PREFIX.length;
  const blobLength = Math.floor((b64Length * 3) / 4);
  if (blobLength < MIN_BLOB_LENGTH || blobLength % AES_BLOCK !== 0) return -1;
  if (base64Length(blobLength) !== b64Length) return -1;
  if (!isBase64Chars(data)) return -1;
  let kept = true;
  for (let i = 0; i < PREFIX.length && kept; i++) kept = data[i] === PREFIX[i];
  return kept ? -1 : bodyLength;
}

/** HMAC of `body` as the ASCII bytes of its unpadded base64. */
export function fwknopMac(client: PreparedFwknopClient, body: Uint8Array): Uint8Array {
  return utf8(toBase64NoPad(client.macState.clone().update(body).digest()));
}

/** Constant-time HMAC check of one client; cheap shape check first; never throws. */
export function fwknopMacMatches(data: Uint8Array, client: PreparedFwknopClient): boolean {
  const bodyLength = fwknopBodyLength(data, client.macLength);
  if (bodyLength < 0) return false;
  return equalConstantTime(fwknopMac(client, data.subarray(0, bodyLength)), data.subarray(bodyLength));
}
