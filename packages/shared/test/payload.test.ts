import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decodePayload,
  encodePayload,
  P_ACCESS,
  P_FAMILY,
  P_FLAGS,
  PAYLOAD_LENGTH,
  parsePortSpec,
} from '../src/index.js';
import { payload } from './helpers.js';

test('decodePayload rejects each malformed field', () => {
  const good = encodePayload(payload());
  assert.ok(decodePayload(good).ok);
  const cases: Array<[string, (b: Uint8Array) => void]> = [
    ['unknown flag bit', (b) => (b[P_FLAGS] = 0x03)],
    ['family with source flag', (b) => (b[P_FAMILY] = 4)],
    ['address bytes with source flag', (b) => (b[P_FAMILY + 5] = 1)],
    ['no flag, family 0', (b) => (b[P_FLAGS] = 0)],
    ['access count 0', (b) => (b[P_ACCESS - 1] = 0)],
    ['access count 9', (b) => (b[P_ACCESS - 1] = 9)],
    ['unknown access type', (b) => (b[P_ACCESS] = 7)],
    ['service name length 0', (b) => (b[P_ACCESS + 1] = 0)],
    ['service name uppercase', (b) => (b[P_ACCESS + 2] = 0x53)],
    ['non-zero padding', (b) => (b[PAYLOAD_LENGTH - 1] = 1)],
    ['timestamp beyond 2^53', (b) => (b[2] = 0xff)],
    ['duration beyond a day', (b) => (b[42] = 0xff)],
  ];
  for (const [name, mutate] of cases) {
    const b = good.slice();
    mutate(b);
    assert.deepEqual(decodePayload(b), { ok: false, reason: 'malformed' }, name);
  }
  const v = good.slice();
  v[0] = 9;
  assert.deepEqual(decodePayload(v), { ok: false, reason: 'version' });
  assert.deepEqual(decodePayload(good.subarray(1)), { ok: false, reason: 'malformed' });
});

test('decodePayload never throws on random bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: PAYLOAD_LENGTH, maxLength: PAYLOAD_LENGTH }), (b) => {
      b[0] = 1;
      const v = decodePayload(b);
      assert.equal(typeof v.ok, 'boolean');
    }),
    { numRuns: 3000 },
  );
});

test('parsePortSpec', () => {
  assert.deepEqual(parsePortSpec('22/tcp'), { protocol: 'tcp', port: 22 });
  assert.deepEqual(parsePortSpec(' 53/udp '), { protocol: 'udp', port: 53 });
  for (const bad of ['0/tcp', '65536/tcp', '22', 'tcp/22', '22/sctp', '022/tcp', '']) {
    assert.equal(parsePortSpec(bad), undefined, bad);
  }
});
