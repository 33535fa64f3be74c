/**
 * Sizes and constants of the fwknop SPA wire format (fwknop 2.6.10, FKO protocol 3.0.0),
 * Rijndael + HMAC mode. Layout of one UDP payload (ASCII, no terminator):
 *
 *   body = base64(SALTED_MAGIC ‖ salt[8] ‖ AES-256-CBC(plaintext)) without '=' and
 *          without its first SALTED_PREFIX_B64.length characters
 *   wire = body ‖ base64(HMAC(hmacKey, SALTED_PREFIX_B64 ‖ body)) without '='
 *
 * Note the HMAC covers the body WITH the "U2FsdGVkX1" prefix put back. See docs/fwknop.md.
 */

/** OpenSSL's "Salted__" magic that starts the encrypted blob. */
export const SALTED_MAGIC = 'Salted__';
/** base64("Salted__") up to the last full character: the client strips it before sending. */
export const SALTED_PREFIX_B64 = 'U2FsdGVkX1';
export const SALT_LENGTH = 8;
export const AES_BLOCK = 16;
/** Salted__ + salt + at least one cipher block. */
export const MIN_BLOB_LENGTH = SALTED_MAGIC.length + SALT_LENGTH + AES_BLOCK;
/** fwknopd's MAX_SPA_PACKET_LEN: nothing longer is ever an SPA packet. */
export const MAX_WIRE_LENGTH = 1500;
/**
 * The longest packet the stock client (fwknop 2.6, libfko) can build, in Rijndael + HMAC mode.
 * Derived from libfko's field limits (fko_limits.h), all at their maximum at once:
 *
 *   plaintext  random value                       16
 *              username    b64(64 bytes), no '='  86
 *              timestamp   at most 12 digits      12
 *              version     "3.0.0"                 5
 *              type        one digit               1
 *              message     b64(256 bytes)        342
 *              NAT access  b64(128 bytes)        171
 *              server auth b64(64 bytes)          86   (the 2.6 client never sets it)
 *              client timeout, 32-bit decimal     10
 *              digest      b64(SHA-512)           86
 *              9 ':' separators                    9   → 824 bytes
 *   AES-256-CBC with PKCS#7 padding: 824 → 832 bytes (52 blocks)
 *   "Salted__" ‖ salt[8] ‖ ciphertext: 848 bytes → unpadded base64 1131 characters
 *   less the stripped "U2FsdGVkX1" (10) → 1121, plus the HMAC-SHA512 in base64 (86) → 1207.
 *
 * The largest real packet seen from /usr/bin/fwknop 2.6.10 (24 ports, NAT, timeout, SHA-512
 * digest and HMAC) was 802 bytes. Anything longer than this is refused before any HMAC.
 */
export const FWKNOP_CLIENT_MAX_WIRE_LENGTH = 1207;
/** Length of the decimal random value the client puts first. */
export const RANDOM_VALUE_LENGTH = 16;
/** The only FKO protocol version we accept. */
export const FKO_VERSION = '3.0.0';
export const DEFAULT_FWKNOP_PORT = 62201;

/** Field limits (decoded), after fwknop's MAX_SPA_* sizes. */
export const MAX_USERNAME_LENGTH = 64;
export const MAX_MESSAGE_LENGTH = 256;
export const MAX_TIMESTAMP_DIGITS = 12;
export const MAX_VERSION_LENGTH = 8;

/** HMAC digest types spa accepts (fwknop's HMAC_DIGEST_TYPE; MD5, SHA-1 and SHA-3 are not). */
export const FWKNOP_DIGESTS = ['sha256', 'sha384', 'sha512'] as const;
export type FwknopDigest = (typeof FWKNOP_DIGESTS)[number];
/** Digest types of the plaintext's own digest field (any the client can make with -m). */
export type FwknopPlainDigest = 'md5' | 'sha1' | FwknopDigest;

/** Unpadded base64 length of each digest, which is how the type is told apart. */
export const DIGEST_B64_LENGTH: Readonly<Record<FwknopPlainDigest, number>> = {
  md5: 22,
  sha1: 27,
  sha256: 43,
  sha384: 64,
  sha512: 86,
};

/** Message types by their decimal code in the plaintext. */
export const FWKNOP_MESSAGE_TYPES = [
  'command', // 0
  'access', // 1
  'nat-access', // 2
  'client-timeout-access', // 3
  'client-timeout-nat-access', // 4
  'local-nat-access', // 5
  'client-timeout-local-nat-access', // 6
] as const;

export type FwknopMessageType = (typeof FWKNOP_MESSAGE_TYPES)[number];

export function hasNatField(type: FwknopMessageType): boolean {
  return type.includes('nat-access');
}

export function hasTimeoutField(type: FwknopMessageType): boolean {
  return type.startsWith('client-timeout-');
}
