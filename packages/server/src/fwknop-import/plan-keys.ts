/**
 * The parts of a stanza's plan about how its packets are sealed: the Rijndael and HMAC keys
 * (GPG never carries), the HMAC digest and the encryption mode.
 */
import { FWKNOP_DIGESTS, fromBase64, MAX_ENC_KEY_LENGTH, MAX_HMAC_KEY_LENGTH } from '@spa/shared';
import type { AccessEntry } from './access-conf.js';
import { type Lookup, type Part, PartBuilder, shownValue } from './part.js';

export const GPG_FIX =
  "give the client Rijndael keys: fwknop --key-gen, put KEY_BASE64 and HMAC_KEY_BASE64 in this stanza and in the client's ~/.fwknoprc (fwknop --use-hmac), then import again";
const HMAC_FIX =
  'make an HMAC key (fwknop --key-gen prints KEY_BASE64 and HMAC_KEY_BASE64), add HMAC_KEY_BASE64 to this stanza, have the client send with --use-hmac (HMAC_KEY_BASE64 in its ~/.fwknoprc), then import again';
const KEYGEN_FIX =
  "make keys with fwknop --key-gen, put KEY_BASE64 and HMAC_KEY_BASE64 in this stanza and in the client's ~/.fwknoprc (it sends with --use-hmac), then import again";
const PLACEHOLDER = '__CHANGEME__';
const GPG_WHY = "GPG is not supported: spa accepts only this client's Rijndael + HMAC packets";

/** The key bytes a KEY / KEY_BASE64 (or key / key_base64) value stands for. */
export function keyBytes(value: string, base64: boolean): Uint8Array | undefined {
  return base64 ? fromBase64(value) : new Uint8Array(Buffer.from(value, 'utf8'));
}

/** The decoded keys of a stanza, to recognise a client imported before. */
export interface StanzaKeys {
  readonly enc: Uint8Array | undefined;
  readonly mac: Uint8Array | undefined;
}

/** KEY / KEY_BASE64 and HMAC_KEY / HMAC_KEY_BASE64; GPG_* variables never carry. */
export function planKeys(get: Lookup, effective: readonly AccessEntry[]): Part & StanzaKeys {
  const part = new PartBuilder();
  const key = get('KEY') ?? get('KEY_BASE64');
  const hmac = get('HMAC_KEY') ?? get('HMAC_KEY_BASE64');
  const gpg = effective.filter((e) => e.key.startsWith('GPG_'));
  if (!key) {
    if (gpg.length > 0) {
      part.refuse('GPG-only stanza (GPG_* and no KEY or KEY_BASE64): GPG is not supported', GPG_FIX);
    } else {
      part.refuse('no KEY or KEY_BASE64: the stanza has no Rijndael key', GPG_FIX);
    }
  } else {
    carryKey(part, key, 'KEY_BASE64', MAX_ENC_KEY_LENGTH, "fwknop's Rijndael key limit");
  }
  for (const e of gpg) if (key) part.skip(e, GPG_WHY);
  if (!hmac) {
    part.refuse('no HMAC key: spa requires HMAC_KEY or HMAC_KEY_BASE64 (fwknopd does not)', HMAC_FIX);
  } else {
    carryKey(part, hmac, 'HMAC_KEY_BASE64', MAX_HMAC_KEY_LENGTH, "fwknop's HMAC key limit");
  }
  return Object.assign(part, {
    enc: key ? keyBytes(key.value, key.key === 'KEY_BASE64') : undefined,
    mac: hmac ? keyBytes(hmac.value, hmac.key === 'HMAC_KEY_BASE64') : undefined,
  });
}

/** One key, as text or base64 (`base64Name`), within fwknop's length limit. */
function carryKey(part: PartBuilder, e: AccessEntry, base64Name: string, max: number, limit: string): void {
  const base64 = e.key === base64Name;
  if (e.value.toUpperCase() === PLACEHOLDER) {
    part.refuse(`${e.key} is still ${PLACEHOLDER} (fwknopd refuses it too)`, KEYGEN_FIX);
  } else if (base64 && !fromBase64(e.value)) {
    part.refuse(`${e.key} is not base64`, 'copy it again from fwknop --key-gen output');
  } else if (keyBytes(e.value, base64)!.length > max) {
    part.refuse(`${e.key} is longer than ${max} bytes (${limit})`, KEYGEN_FIX);
  } else {
    const spaKey = e.key.toLowerCase();
    part.table[spaKey] = e.value;
    part.carry(e.key, `${spaKey} (set)`);
  }
}

/** HMAC_DIGEST_TYPE: the SHA-2 digests carry, weaker or unknown ones refuse the stanza. */
export function planDigest(get: Lookup): Part {
  const part = new PartBuilder();
  const digest = get('HMAC_DIGEST_TYPE');
  if (!digest) return part;
  const d = digest.value.toLowerCase();
  if ((FWKNOP_DIGESTS as readonly string[]).includes(d)) {
    part.table.hmac_digest = d;
    part.carry(`HMAC_DIGEST_TYPE ${digest.value}`, `hmac_digest = "${d}"`);
  } else {
    const why = ['md5', 'sha1'].includes(d)
      ? `HMAC_DIGEST_TYPE ${d.toUpperCase()} is too weak; spa accepts SHA256, SHA384 or SHA512`
      : `HMAC_DIGEST_TYPE ${shownValue('HMAC_DIGEST_TYPE', digest.value)} is not supported; spa accepts SHA256, SHA384 or SHA512`;
    part.refuse(
      why,
      'set HMAC_DIGEST_TYPE SHA256 here and send with fwknop --hmac-digest-type=sha256 (HMAC_DIGEST_TYPE in ~/.fwknoprc)',
    );
  }
  return part;
}

/** ENCRYPTION_MODE: CBC is the only mode spa speaks. */
export function planEncryptionMode(get: Lookup): Part {
  const part = new PartBuilder();
  const mode = get('ENCRYPTION_MODE');
  if (!mode) return part;
  if (mode.value.toUpperCase() === 'CBC') {
    part.carry('ENCRYPTION_MODE CBC', '(nothing to write: CBC is the only mode)');
  } else if (mode.value.toLowerCase() === 'legacy') {
    part.refuse(
      'ENCRYPTION_MODE legacy (the pre-2.5 key derivation) is not supported',
      'upgrade the client to fwknop 2.5 or later, send without -M legacy, and remove ENCRYPTION_MODE',
    );
  } else {
    part.refuse(
      `ENCRYPTION_MODE ${shownValue('ENCRYPTION_MODE', mode.value)} is not supported; spa accepts CBC only`,
      'send with the default mode (no -M / ENCRYPTION_MODE on the client) and remove ENCRYPTION_MODE',
    );
  }
  return part;
}
