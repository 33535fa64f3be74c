/**
 * Secrets and their purpose-bound subkeys (docs/protocol.md §2).
 *
 * Every secret is 256 bits. Subkeys come from HKDF-SHA256 (RFC 5869) with a fixed salt
 * and one `info` string per purpose, so a key used for one job is never used for another.
 */
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, fromBase32, fromHex, toBase32, toHex, utf8 } from './bytes.js';
import { assertBytes, SpaError } from './errors.js';

export const SECRET_LENGTH = 32;
export const SERVER_ID_LENGTH = 16;
const CHECKSUM_LENGTH = 4;
/** base32 characters for secret ‖ checksum (36 bytes). */
const TEXT_BODY_LENGTH = Math.ceil(((SECRET_LENGTH + CHECKSUM_LENGTH) * 8) / 5);
const HKDF_SALT = utf8('spa/v1');

/** Text prefixes: `spak1` a client key, `spas1` a server secret (kind + format version). */
export const SECRET_PREFIX = { client: 'spak1', server: 'spas1' } as const;
export type SecretKind = keyof typeof SECRET_PREFIX;

/** Subkeys of one client's secret. */
export interface ClientKeys {
  /** XChaCha20-Poly1305 key for the payload. */
  readonly enc: Uint8Array;
  /** HMAC-SHA256 key for the knock tag. */
  readonly mac: Uint8Array;
  /** HMAC-SHA256 key for the per-step lookup tag. */
  readonly lookup: Uint8Array;
  /** HMAC-SHA256 key for one-time knock sequences. */
  readonly sequence: Uint8Array;
}

/** Subkeys of the server secret, which every client of that server is given. */
export interface ServerKeys {
  /** HMAC-SHA256 key for the rotating knock port. */
  readonly port: Uint8Array;
  /** HChaCha20 key that masks the lookup tag on the wire. */
  readonly header: Uint8Array;
}

/** HKDF (RFC 5869): one extract per secret, one expand per purpose. */
function subkeys<P extends string>(
  secret: Uint8Array,
  kind: string,
  purposes: readonly P[],
): Record<P, Uint8Array> {
  const prk = extract(sha256, secret, HKDF_SALT);
  const out = {} as Record<P, Uint8Array>;
  for (const p of purposes) out[p] = expand(sha256, prk, utf8(`spa/v1 ${kind} ${p}`), 32);
  prk.fill(0);
  return out;
}

export function deriveClientKeys(secret: Uint8Array): ClientKeys {
  assertBytes(secret, SECRET_LENGTH, 'client secret');
  return subkeys(secret, 'client', ['enc', 'mac', 'lookup', 'sequence'] as const);
}

export function deriveServerKeys(secret: Uint8Array): ServerKeys {
  assertBytes(secret, SECRET_LENGTH, 'server secret');
  return subkeys(secret, 'server', ['port', 'header'] as const);
}

/** A new secret from caller-supplied random bytes (the core never draws randomness). */
export function secretFromRandom(random: Uint8Array): Uint8Array {
  assertBytes(random, SECRET_LENGTH, 'random bytes for a secret');
  return Uint8Array.from(random);
}

function checksum(prefix: string, secret: Uint8Array): Uint8Array {
  return sha256(concat(utf8(`spa key checksum ${prefix}`), secret)).subarray(0, CHECKSUM_LENGTH);
}

/**
 * Text form: prefix + base32(secret ‖ checksum), all lowercase letters and digits, so a
 * double-click selects it whole and any typo, truncation or swapped character is caught.
 */
export function encodeSecret(kind: SecretKind, secret: Uint8Array): string {
  assertBytes(secret, SECRET_LENGTH, `${kind} secret`);
  const prefix = SECRET_PREFIX[kind];
  return prefix + toBase32(concat(secret, checksum(prefix, secret)));
}

export function decodeSecret(kind: SecretKind, text: string, label = `${kind} secret`): Uint8Array {
  const prefix = SECRET_PREFIX[kind];
  const trimmed = text.trim();
  if (!trimmed.startsWith(prefix)) {
    const other = Object.entries(SECRET_PREFIX).find(([, p]) => trimmed.startsWith(p));
    throw new SpaError(
      'key-prefix',
      `${label}: does not start with "${prefix}"${other ? ` (it is a ${other[0]} key)` : ''}`,
      'copy the whole key again, including its prefix',
    );
  }
  const body = trimmed.slice(prefix.length);
  if (!/^[a-z2-7]*$/.test(body)) {
    throw new SpaError('key-format', `${label}: has characters outside a-z2-7`, 'copy the key again');
  }
  const raw = body.length === TEXT_BODY_LENGTH ? fromBase32(body) : undefined;
  if (!raw || raw.length !== SECRET_LENGTH + CHECKSUM_LENGTH) {
    throw new SpaError(
      'key-length',
      `${label}: wrong length (truncated or extended?)`,
      'copy the whole key again',
    );
  }
  const secret = raw.slice(0, SECRET_LENGTH);
  const sum = raw.subarray(SECRET_LENGTH);
  const expected = checksum(prefix, secret);
  if (toHex(sum) !== toHex(expected)) {
    throw new SpaError(
      'key-checksum',
      `${label}: checksum mismatch (damaged in copy-paste?)`,
      'copy the key again',
    );
  }
  return secret;
}

export function encodeServerId(id: Uint8Array): string {
  assertBytes(id, SERVER_ID_LENGTH, 'server id');
  return toHex(id);
}

export function decodeServerId(text: string, label = 'server id'): Uint8Array {
  const id = fromHex(text.trim());
  if (!id || id.length !== SERVER_ID_LENGTH) {
    throw new SpaError('server-id', `${label}: expected ${SERVER_ID_LENGTH * 2} hex digits`, 'copy it again');
  }
  return id;
}
