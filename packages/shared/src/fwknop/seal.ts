/**
 * Build an fwknop SPA packet the way the 2.6.10 client does (for tests and the lab).
 * Pure: the salt and the random value are parameters. Encodes whatever fields it is
 * given, so tests can make malformed-but-authentic packets.
 */
import { concat, utf8 } from '../bytes.js';
import { assertBytes, SpaError } from '../errors.js';
import { toBase64NoPad } from './base64.js';
import { encryptFwknopBlob } from './cipher.js';
import { encodeFwknopPlaintext, type FwknopMessageInput } from './fields.js';
import { type FwknopKeys, fwknopMac, prepareFwknopClient } from './mac.js';
import { SALT_LENGTH, SALTED_PREFIX_B64 } from './wire.js';

/** Encrypt and authenticate a ready plaintext; returns the wire bytes. */
export function sealFwknopPlaintext(plaintext: string, keys: FwknopKeys, salt: Uint8Array): Uint8Array {
  assertBytes(salt, SALT_LENGTH, 'salt');
  const client = prepareFwknopClient(keys);
  const b64 = toBase64NoPad(encryptFwknopBlob(utf8(plaintext), client.encKey, salt));
  if (!b64.startsWith(SALTED_PREFIX_B64)) throw new SpaError('internal', 'Salted__ prefix missing');
  const body = utf8(b64.slice(SALTED_PREFIX_B64.length));
  return concat(body, fwknopMac(client, body));
}

export function sealFwknop(msg: FwknopMessageInput, keys: FwknopKeys, salt: Uint8Array): Uint8Array {
  return sealFwknopPlaintext(encodeFwknopPlaintext(msg), keys, salt);
}
