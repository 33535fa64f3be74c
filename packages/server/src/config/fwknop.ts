/**
 * Readers for [fwknop] and [fwknop_clients.NAME]: clients of the stock fwknop client
 * (docs/fwknop.md). `spa-server import-fwknop` writes these tables from an access.conf.
 */
import {
  DURATION_MAX_SECONDS,
  FWKNOP_DIGESTS,
  fromBase64,
  MAX_ENC_KEY_LENGTH,
  MAX_HMAC_KEY_LENGTH,
  MAX_USERNAME_LENGTH,
} from '@spa/shared';
import { clientFields, readStanding } from './clients.js';
import type { Fields } from './fields.js';
import { DEFAULTS, FWKNOP_CLIENT_KEYS } from './schema.js';
import type { FwknopClientDef, FwknopConfig, PolicyConfig, ServiceDef } from './types.js';

/**
 * One key given as `<name>_base64` or as a plain passphrase `<name>`, exactly one of them.
 */
function readKey(c: Fields, name: 'key' | 'hmac_key', max: number, fwknopName: string): Uint8Array {
  const b64Key = `${name}_base64`;
  const hasB64 = c.has(b64Key);
  const hasText = c.has(name);
  if (hasB64 && hasText)
    c.fail(
      name,
      `both ${name} and ${b64Key} are set`,
      `keep one: ${b64Key} (${fwknopName}_BASE64) or ${name}`,
    );
  if (!hasB64 && !hasText) {
    return c.fail(
      b64Key,
      `missing ${b64Key} (or ${name})`,
      name === 'hmac_key'
        ? 'spa requires an HMAC: generate keys with `fwknop --key-gen`, give the client --use-hmac, and copy HMAC_KEY_BASE64 here'
        : 'copy KEY_BASE64 from the fwknop client (~/.fwknoprc) or access.conf',
    );
  }
  let bytes: Uint8Array | undefined;
  let key = b64Key;
  if (hasB64) {
    const text = c.string(b64Key) ?? '';
    bytes = fromBase64(text.trim());
    if (!bytes) c.fail(b64Key, 'is not valid base64', `copy ${fwknopName}_BASE64 again`);
  } else {
    key = name;
    bytes = new TextEncoder().encode(c.string(name) ?? '');
  }
  if (bytes.length === 0 || bytes.length > max)
    c.fail(key, `the key is ${bytes.length} bytes, expected 1-${max}`, `use the key fwknop --key-gen made`);
  return bytes;
}

function optionalDuration(c: Fields, k: string): number | undefined {
  if (!c.has(k)) return undefined;
  return c.durationMs(k, 0, 1000, DURATION_MAX_SECONDS * 1000, true) / 1000;
}

export function readFwknop(
  section: Fields | undefined,
  clientsFields: Fields | undefined,
  services: ReadonlyMap<string, ServiceDef>,
  policy: PolicyConfig,
): FwknopConfig {
  const port = section ? section.int('port', 1, 65535, DEFAULTS.fwknopPort) : DEFAULTS.fwknopPort;
  const clients = new Map<string, FwknopClientDef>();
  if (!clientsFields) return { port, clients };
  const known = FWKNOP_CLIENT_KEYS.map((k) => k.key);
  for (const name of Object.keys(clientsFields.table)) {
    const c = clientFields(clientsFields, name, 'fwknop_clients', known);
    // fwknop's own bounds (fko_limits.h), which prepareFwknopClient enforces too.
    const encKey = readKey(c, 'key', MAX_ENC_KEY_LENGTH, 'KEY');
    const hmacKey = readKey(c, 'hmac_key', MAX_HMAC_KEY_LENGTH, 'HMAC_KEY');
    const hmacDigest = c.oneOf('hmac_digest', FWKNOP_DIGESTS, 'sha256');
    const standing = readStanding(c, name, services);
    const requireUsername = c.string('require_username');
    if (
      requireUsername !== undefined &&
      (requireUsername.length === 0 || requireUsername.length > MAX_USERNAME_LENGTH)
    )
      c.fail(
        'require_username',
        `must be 1-${MAX_USERNAME_LENGTH} characters`,
        'write the user name the fwknop client sends (-U)',
      );
    const defaultDurationSeconds = optionalDuration(c, 'default_duration');
    const maxDurationSeconds = optionalDuration(c, 'max_duration');
    const effectiveMax = Math.min(maxDurationSeconds ?? policy.maxDurationSeconds, policy.maxDurationSeconds);
    if (defaultDurationSeconds !== undefined && defaultDurationSeconds > effectiveMax) {
      c.fail(
        'default_duration',
        `${defaultDurationSeconds}s is longer than the maximum grant (${effectiveMax}s)`,
        'lower default_duration, or raise max_duration here and in [policy]',
      );
    }
    clients.set(name, {
      ...standing,
      encKey,
      hmacKey,
      hmacDigest,
      requireLiteralAddress: c.bool('require_literal_address', policy.requireLiteralAddress),
      requireUsername,
      defaultDurationSeconds,
      maxDurationSeconds,
    });
  }
  return { port, clients };
}
