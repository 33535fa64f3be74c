/** Known-answer tests against test/vectors/fwknop.json, made by the real fwknop 2.6.10 client. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fromBase64NoPad } from '../src/fwknop/base64.js';
import {
  FWKNOP_REASONS,
  type FwknopKeys,
  formatIp,
  fwknopMacMatches,
  fwknopReplayId,
  openFwknop,
  prepareFwknopClient,
  sealFwknopPlaintext,
  utf8,
} from '../src/index.js';

const here = fileURLToPath(import.meta.url);
const dir = join(here, '../../../../../test/vectors');
// biome-ignore lint/suspicious/noExplicitAny: JSON vectors
const vectors: any[] = JSON.parse(readFileSync(join(dir, 'fwknop.json'), 'utf8')).vectors;

const b64 = (s: string) => Uint8Array.from(Buffer.from(s, 'base64'));

// biome-ignore lint/suspicious/noExplicitAny: JSON vectors
function keysOf(v: any): FwknopKeys {
  return {
    encKey: v.keys.encKeyPassphrase !== undefined ? utf8(v.keys.encKeyPassphrase) : b64(v.keys.encKeyBase64),
    hmacKey: b64(v.keys.hmacKeyBase64),
    hmacDigest: v.keys.hmacDigest,
  };
}

test('fwknop.json covers the cases the server relies on', () => {
  const names = vectors.map((v) => v.name).join('\n');
  for (const word of [
    '-s',
    '-f 60',
    'two ports',
    'SHA-512',
    'passphrase',
    'command',
    '--use-hmac',
    'prefix kept',
  ])
    assert.ok(names.includes(word), word);
  assert.ok(vectors.filter((v) => v.expect === 'ok').length >= 8);
});

test('every fwknop.json vector opens to its expected fields or reason', () => {
  for (const v of vectors) {
    const client = prepareFwknopClient(keysOf(v));
    const wire = utf8(v.wire);
    const r = openFwknop(wire, client);
    if (v.expect !== 'ok') {
      assert.deepEqual(r, { ok: false, reason: v.expect }, v.name);
      assert.ok((FWKNOP_REASONS as readonly string[]).includes(v.expect), v.name);
      if (v.expect === 'mac' || v.expect === 'fwknop-shape')
        assert.equal(fwknopMacMatches(wire, client), false);
      continue;
    }
    assert.ok(r.ok, `${v.name}: ${JSON.stringify(r)}`);
    assert.equal(fwknopMacMatches(wire, client), true, v.name);
    const { access, digest: _digest, ...rest } = r.value;
    const got: Record<string, unknown> = { ...rest };
    if (access)
      got.access = {
        allow: access.allow === 'source' ? 'source' : formatIp(access.allow),
        ports: access.ports,
      };
    assert.deepEqual(got, v.decoded, v.name);
    assert.equal(fwknopReplayId(wire).length, 16);
  }
});

test('sealFwknopPlaintext rebuilds each client packet byte for byte from its plaintext and salt', () => {
  for (const v of vectors.filter((x) => x.expect === 'ok')) {
    const keys = keysOf(v);
    const macLength = { sha256: 43, sha384: 64, sha512: 86 }[keys.hmacDigest];
    const blob = fromBase64NoPad(`U2FsdGVkX1${v.wire.slice(0, v.wire.length - macLength)}`)!;
    const salt = blob.subarray(8, 16);
    assert.equal(
      Buffer.from(sealFwknopPlaintext(v.plaintext, keys, salt)).toString('latin1'),
      v.wire,
      v.name,
    );
  }
});
