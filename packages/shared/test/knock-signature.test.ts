/**
 * Two-factor knocks: signatures made by real OpenSSH (ssh-agent) and, for security keys,
 * constructed per PROTOCOL.u2f (test/vectors/ssh-signatures.json, README there), checked
 * against the knock message; every covered field tampered with; wrong key; sk flags/counter.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  checkKnockSignature,
  checkSignedKnock,
  decodePayload,
  encodePayload,
  fromHex,
  type KnockPayload,
  knockSignedMessage,
  P_SIG_BLOCK,
  parseAuthorizedKey,
  parsePublicKeyBlob,
  parseSignatureBlob,
  type SshPublicKey,
  type SshSignature,
  sshFingerprint,
  toHex,
} from '../src/index.js';

const dir = join(fileURLToPath(import.meta.url), '../../../../../test/vectors');
const v = JSON.parse(readFileSync(join(dir, 'ssh-signatures.json'), 'utf8'));
const h = (s: string) => fromHex(s)!;
const keyOf = (name: string): SshPublicKey => {
  const line = v.keys.find((k: { name: string }) => k.name === name).line;
  const parsed = parseAuthorizedKey(line);
  assert.ok(parsed.ok, name);
  return parsed.key;
};
const sigOf = (name: string): SshSignature => {
  const s = parseSignatureBlob(h(v.vectors.find((x: { name: string }) => x.name === name).signature));
  assert.ok(s, name);
  return s;
};

const nonce = h(v.request.nonce);
const request: KnockPayload = {
  version: 1,
  timestampMs: v.request.timestampMs,
  oneTimeId: h(v.request.oneTimeId),
  serverId: h(v.request.serverId),
  durationSeconds: v.request.durationSeconds,
  target: { kind: 'address', address: { family: 4, bytes: Uint8Array.of(192, 0, 2, 10) } },
  access: [{ kind: 'service', name: 'ssh' }],
};
const loose = { requireTouch: false };
const strict = { requireTouch: true };

test('the knock message is the vector message (domain ‖ nonce ‖ request with the signed flag)', () => {
  assert.equal(toHex(knockSignedMessage(nonce, request)), v.message);
});

test('fingerprints are what ssh-keygen -l printed', () => {
  for (const k of v.keys) {
    const parsed = parseAuthorizedKey(k.line);
    assert.ok(parsed.ok, k.name);
    assert.equal(sshFingerprint(parsed.key.blob), k.fingerprint, k.name);
  }
});

test('every vector verifies against its own key and the knock message', () => {
  const message = knockSignedMessage(nonce, request);
  for (const vec of v.vectors) {
    const sig = parseSignatureBlob(h(vec.signature));
    assert.ok(sig, vec.name);
    assert.equal(checkKnockSignature(keyOf(vec.key), sig, message, loose), 'ok', vec.name);
  }
});

test('ecdsa: a high-S signature from OpenSSH is accepted (libcrypto does not normalise S)', () => {
  assert.equal(
    checkKnockSignature(keyOf('ecdsa'), sigOf('ecdsa high-S'), knockSignedMessage(nonce, request), loose),
    'ok',
  );
});

test('a signature by another key is invalid; another key type is `type`', () => {
  const message = knockSignedMessage(nonce, request);
  assert.equal(checkKnockSignature(keyOf('ed25519'), sigOf('ed25519-other'), message, loose), 'invalid');
  assert.equal(checkKnockSignature(keyOf('ed25519-other'), sigOf('ed25519'), message, loose), 'invalid');
  assert.equal(checkKnockSignature(keyOf('ed25519'), sigOf('ecdsa low-S'), message, loose), 'type');
  assert.equal(checkKnockSignature(keyOf('sk-ed25519'), sigOf('ed25519'), message, loose), 'type');
  assert.equal(checkKnockSignature(keyOf('ed25519'), undefined, message, loose), 'missing');
});

const tampered: [string, Partial<KnockPayload>][] = [
  ['timestamp', { timestampMs: v.request.timestampMs + 1 }],
  ['one-time id', { oneTimeId: h(v.request.oneTimeId.replace(/^../, 'ff')) }],
  ['server id', { serverId: h(v.request.serverId.replace(/..$/, '00')) }],
  ['duration', { durationSeconds: 61 }],
  ['address', { target: { kind: 'address', address: { family: 4, bytes: Uint8Array.of(192, 0, 2, 11) } } }],
  ['source instead of address', { target: { kind: 'source' } }],
  ['access', { access: [{ kind: 'service', name: 'ssi' }] }],
  [
    'access added',
    {
      access: [
        { kind: 'service', name: 'ssh' },
        { kind: 'port', protocol: 'tcp', port: 443 },
      ],
    },
  ],
];

test('tampering with any covered field, or the nonce, breaks every key type', () => {
  for (const vec of v.vectors.filter((x: { key: string }) => x.key !== 'ed25519-other')) {
    const key = keyOf(vec.key);
    const sig = parseSignatureBlob(h(vec.signature))!;
    for (const [what, change] of tampered) {
      const msg = knockSignedMessage(nonce, { ...request, ...change });
      assert.equal(checkKnockSignature(key, sig, msg, loose), 'invalid', `${vec.name}: ${what}`);
    }
    const otherNonce = nonce.slice();
    otherNonce[23]! ^= 1;
    assert.equal(checkKnockSignature(key, sig, knockSignedMessage(otherNonce, request), loose), 'invalid');
  }
});

test('tampering with the signature, or the sk flags and counter, breaks it', () => {
  const message = knockSignedMessage(nonce, request);
  for (const vec of v.vectors) {
    const key = keyOf(vec.key);
    const sig = parseSignatureBlob(h(vec.signature))!;
    for (const i of [0, 31, 32, 63]) {
      const bad = sig.signature.slice();
      bad[i]! ^= 0x01;
      assert.equal(checkKnockSignature(key, { ...sig, signature: bad }, message, loose), 'invalid', vec.name);
    }
    if (vec.key.startsWith('sk-')) {
      assert.equal(checkKnockSignature(key, { ...sig, counter: sig.counter + 1 }, message, loose), 'invalid');
      assert.equal(checkKnockSignature(key, { ...sig, flags: sig.flags ^ 0x01 }, message, loose), 'invalid');
      assert.equal(checkKnockSignature(key, { ...sig, flags: sig.flags | 0x04 }, message, loose), 'invalid');
    }
  }
});

test('sk: the counter and flags are carried; require_touch refuses a signature without user presence', () => {
  for (const name of ['sk-ed25519', 'sk-ecdsa']) {
    const touched = sigOf(name);
    const untouched = sigOf(`${name} no touch`);
    assert.equal(touched.flags, 0x01);
    assert.equal(touched.counter, 7);
    assert.equal(untouched.flags, 0x00);
    assert.equal(untouched.counter, 8);
    const message = knockSignedMessage(nonce, request);
    assert.equal(checkKnockSignature(keyOf(name), touched, message, strict), 'ok');
    assert.equal(checkKnockSignature(keyOf(name), untouched, message, loose), 'ok');
    assert.equal(checkKnockSignature(keyOf(name), untouched, message, strict), 'touch');
    // require_touch means nothing for a key that cannot be touched
    assert.equal(checkKnockSignature(keyOf('ed25519'), sigOf('ed25519'), message, strict), 'ok');
  }
});

test('a signed payload round-trips and verifies from the decoded knock; size on the wire unchanged', () => {
  for (const vec of v.vectors) {
    const signed = { ...request, signature: parseSignatureBlob(h(vec.signature))! };
    const bytes = encodePayload(signed);
    assert.equal(bytes.length, 256);
    assert.equal(bytes[1]! & 0x02, 0x02);
    const back = decodePayload(bytes);
    assert.ok(back.ok);
    assert.deepEqual(back.value.signature, signed.signature);
    assert.equal(checkSignedKnock(keyOf(vec.key), nonce, back.value, loose), 'ok', vec.name);
  }
  const unsigned = decodePayload(encodePayload(request));
  assert.ok(unsigned.ok);
  assert.equal(unsigned.value.signature, undefined);
  assert.equal(checkSignedKnock(keyOf('ed25519'), nonce, unsigned.value, loose), 'missing');
});

test('a signed payload leaves room for the access list, and says so when it does not fit', () => {
  const ports = Array.from({ length: 8 }, (_, i) => ({
    kind: 'port' as const,
    protocol: 'tcp' as const,
    port: i + 1,
  }));
  const sig = sigOf('ed25519');
  assert.ok(decodePayload(encodePayload({ ...request, access: ports, signature: sig })).ok);
  const long = Array.from({ length: 4 }, (_, i) => ({ kind: 'service' as const, name: `${i}`.repeat(32) }));
  assert.ok(decodePayload(encodePayload({ ...request, access: long })).ok, 'unsigned: fits');
  assert.throws(() => encodePayload({ ...request, access: long, signature: sig }), /signed knock/);
});

test('decoding a signed payload: bad block fields and entries running into the block are malformed', () => {
  const good = encodePayload({ ...request, signature: sigOf('ed25519') });
  const cases: [string, (b: Uint8Array) => void][] = [
    ['type 0', (b) => (b[P_SIG_BLOCK] = 0)],
    ['type 5', (b) => (b[P_SIG_BLOCK] = 5)],
    ['flags on a non-sk type', (b) => (b[P_SIG_BLOCK + 1] = 1)],
    ['counter on a non-sk type', (b) => (b[P_SIG_BLOCK + 5] = 1)],
    ['padding before the block', (b) => (b[P_SIG_BLOCK - 1] = 1)],
    ['unknown flag bit', (b) => (b[1]! |= 0x04)],
  ];
  for (const [what, change] of cases) {
    const b = good.slice();
    change(b);
    assert.deepEqual(decodePayload(b), { ok: false, reason: 'malformed' }, what);
  }
  // An unsigned payload whose padding holds a block is malformed too (no flag, no block).
  const b = good.slice();
  b[1]! &= ~0x02;
  assert.deepEqual(decodePayload(b), { ok: false, reason: 'malformed' });
});

test('SSH wire parsers never throw and refuse trailing or missing bytes', () => {
  const ed = keyOf('ed25519');
  assert.deepEqual(parsePublicKeyBlob(ed.blob)?.point, ed.point);
  assert.equal(parsePublicKeyBlob(ed.blob.subarray(0, ed.blob.length - 1)), undefined);
  assert.equal(parsePublicKeyBlob(Uint8Array.of(...ed.blob, 0)), undefined);
  const sigBlob = h(v.vectors[0].signature);
  assert.equal(parseSignatureBlob(sigBlob.subarray(0, sigBlob.length - 1)), undefined);
  assert.equal(parseSignatureBlob(Uint8Array.of(...sigBlob, 0)), undefined);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      parsePublicKeyBlob(bytes);
      parseSignatureBlob(bytes);
      const key = keyOf('ecdsa');
      const sig = parseSignatureBlob(bytes) ?? {
        type: 'ecdsa-sha2-nistp256' as const,
        signature: bytes.slice(0, 64),
        flags: 0,
        counter: 0,
      };
      if (sig.signature.length === 64) checkKnockSignature(key, sig, bytes, loose);
    }),
    { numRuns: 300 },
  );
  // A public key whose point is not on the curve: invalid, not a throw.
  const offCurve = { ...keyOf('ecdsa'), point: Uint8Array.of(4, ...new Uint8Array(64).fill(1)) };
  assert.equal(
    checkKnockSignature(offCurve, sigOf('ecdsa low-S'), knockSignedMessage(nonce, request), loose),
    'invalid',
  );
});

test('authorized_keys lines: RSA and DSA refused with the reason, junk refused, comment kept', () => {
  const rsa = parseAuthorizedKey('ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== me@host');
  assert.equal(rsa.ok, false);
  assert.ok(!rsa.ok && rsa.problem === 'rsa' && /does not fit/.test(rsa.detail));
  assert.equal(parseAuthorizedKey('ssh-ed25519').ok, false);
  assert.equal(parseAuthorizedKey('ssh-ed25519 !!!!').ok, false);
  assert.equal(parseAuthorizedKey('ecdsa-sha2-nistp384 AAAA').ok, false);
  const ed = v.keys[0].line.split(' ');
  const mismatch = parseAuthorizedKey(`ecdsa-sha2-nistp256 ${ed[1]}`);
  assert.ok(!mismatch.ok && mismatch.problem === 'mismatch');
  const ok = parseAuthorizedKey(`  ${v.keys[0].line}  `);
  assert.ok(ok.ok && ok.comment === 'ed25519@vectors');
});
