import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodeSecret,
  decodeServerId,
  deriveClientKeys,
  deriveServerKeys,
  encodeSecret,
  encodeServerId,
  toHex,
} from '../src/index.js';
import { bytes } from './helpers.js';

test('secret text form round-trips and is one word', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (s) => {
      const t = encodeSecret('client', s);
      assert.match(t, /^spak1[a-z2-7]+$/);
      assert.deepEqual(decodeSecret('client', t), s);
      assert.deepEqual(decodeSecret('server', encodeSecret('server', s)), s);
    }),
  );
});

test('copy-paste damage is caught', () => {
  const t = encodeSecret('client', bytes(32, 7));
  assert.throws(() => decodeSecret('client', t.slice(0, -1)), { code: 'key-length' });
  assert.throws(() => decodeSecret('client', `${t}a`), { code: /key-(length|format)/ });
  assert.throws(() => decodeSecret('client', t.replace('spak1', 'spak2')), { code: 'key-prefix' });
  assert.throws(() => decodeSecret('client', encodeSecret('server', bytes(32, 7))), /it is a server key/);
  assert.throws(() => decodeSecret('client', `${t.slice(0, 20)}1${t.slice(21)}`), { code: 'key-format' });
  // Every single-character substitution is caught by the checksum (or the charset).
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  for (let i = 5; i < t.length; i++) {
    const ch = t[i] === 'a' ? 'b' : 'a';
    const damaged = t.slice(0, i) + ch + t.slice(i + 1);
    assert.throws(
      () => decodeSecret('client', damaged),
      (e: { code?: string }) => /^key-/.test(e.code ?? ''),
      `position ${i}`,
    );
    assert.ok(alphabet.includes(ch));
  }
  // Leading/trailing whitespace from a terminal is tolerated.
  assert.deepEqual(decodeSecret('client', `  ${t}\n`), bytes(32, 7));
});

test('subkeys are distinct per purpose and per secret', () => {
  const a = deriveClientKeys(bytes(32, 1));
  const b = deriveClientKeys(bytes(32, 2));
  const s = deriveServerKeys(bytes(32, 1));
  const all = [a.enc, a.mac, a.lookup, a.sequence, b.enc, b.mac, b.lookup, b.sequence, s.port, s.header].map(
    toHex,
  );
  assert.equal(new Set(all).size, all.length);
  assert.throws(() => deriveClientKeys(bytes(31, 1)), { code: 'bad-argument' });
});

test('server id text form', () => {
  const id = bytes(16, 0xab);
  assert.equal(encodeServerId(id), 'ab'.repeat(16));
  assert.deepEqual(decodeServerId('AB'.repeat(16)), id);
  assert.throws(() => decodeServerId('ab'.repeat(15)), { code: 'server-id' });
  assert.throws(() => decodeServerId('zz'.repeat(16)), { code: 'server-id' });
});
