/**
 * fwknop's Rijndael mode: OpenSSL's `enc -aes-256-cbc` "Salted__" layout.
 *
 *   blob = "Salted__" ‖ salt[8] ‖ AES-256-CBC(key, iv, PKCS#7(plaintext))
 *   key ‖ iv = D1 ‖ D2 ‖ D3 (first 48 bytes), D1 = MD5(k ‖ salt), Di = MD5(D(i-1) ‖ k ‖ salt)
 *
 * which is OpenSSL's EVP_BytesToKey with MD5 and one iteration; k is the raw key bytes
 * (a KEY_BASE64 key decoded, or a KEY passphrase's bytes). fwknop's "legacy" mode (-M
 * legacy, clients before 2.5) pads k differently and is not supported.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { md5 } from '@noble/hashes/legacy.js';
import { concat, utf8, wipe } from '../bytes.js';
import { AES_BLOCK, MIN_BLOB_LENGTH, SALT_LENGTH, SALTED_MAGIC } from './wire.js';

const MAGIC = utf8(SALTED_MAGIC);
const KEY_LENGTH = 32;
const IV_LENGTH = 16;

/** EVP_BytesToKey(MD5, 1 iteration): 32-byte AES key and 16-byte IV. */
export function fwknopKeyIv(key: Uint8Array, salt: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  const out = new Uint8Array(KEY_LENGTH + IV_LENGTH);
  let prev = new Uint8Array(0);
  for (let o = 0; o < out.length; o += prev.length) {
    prev = md5(concat(prev, key, salt));
    out.set(prev.subarray(0, out.length - o), o);
  }
  return { key: out.slice(0, KEY_LENGTH), iv: out.slice(KEY_LENGTH) };
}

/** "Salted__" ‖ salt ‖ ciphertext. */
export function encryptFwknopBlob(plaintext: Uint8Array, encKey: Uint8Array, salt: Uint8Array): Uint8Array {
  const { key, iv } = fwknopKeyIv(encKey, salt);
  const ct = cbc(key, iv).encrypt(plaintext);
  wipe(key, iv);
  return concat(MAGIC, salt, ct);
}

/** Inverse of encryptFwknopBlob; undefined on a wrong magic, length or padding. Never throws. */
export function decryptFwknopBlob(blob: Uint8Array, encKey: Uint8Array): Uint8Array | undefined {
  if (blob.length < MIN_BLOB_LENGTH || (blob.length - MAGIC.length - SALT_LENGTH) % AES_BLOCK !== 0)
    return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (blob[i] !== MAGIC[i]) return undefined;
  const salt = blob.subarray(MAGIC.length, MAGIC.length + SALT_LENGTH);
  const { key, iv } = fwknopKeyIv(encKey, salt);
  try {
    return cbc(key, iv).decrypt(blob.subarray(MAGIC.length + SALT_LENGTH));
  } catch {
    return undefined; // PKCS#7 padding wrong: wrong key or corrupted data
  } finally {
    wipe(key, iv);
  }
}
