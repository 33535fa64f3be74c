import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  deriveClientKeys,
  encodePayload,
  openKnock,
  PACKET_LENGTH,
  parseIp,
  prepareClient,
  REJECT_REASONS,
  toHex,
  verifyKnock,
} from '../src/index.js';
import { bytes, clientKeys, context, NOW, payload, seal, serverId } from './helpers.js';

describe('seal/open', () => {
  test('a sealed knock is exactly PACKET_LENGTH bytes and verifies', () => {
    const p = seal();
    assert.equal(p.length, PACKET_LENGTH);
    assert.ok(PACKET_LENGTH <= 512);
    const v = verifyKnock(p, context());
    assert.ok(v.ok, JSON.stringify(v));
    assert.equal(v.value.client, 'alice');
    assert.deepEqual(v.value.payload.access, [{ kind: 'service', name: 'ssh' }]);
    assert.deepEqual(v.value.payload.target, { kind: 'source' });
    assert.equal(v.value.payload.timestampMs, NOW);
  });

  test('round-trips any valid payload (property)', () => {
    const access = fc.oneof(
      fc.record(
        { kind: fc.constant('service' as const), name: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,31}$/) },
        { noNullPrototype: true },
      ),
      fc.record(
        {
          kind: fc.constant('port' as const),
          protocol: fc.constantFrom('tcp' as const, 'udp' as const),
          port: fc.integer({ min: 1, max: 65535 }),
        },
        { noNullPrototype: true },
      ),
    );
    const target = fc.oneof(
      fc.constant({ kind: 'source' as const }),
      fc
        .uint8Array({ minLength: 4, maxLength: 4 })
        .map((b) => ({ kind: 'address' as const, address: { family: 4 as const, bytes: b } })),
      fc
        .uint8Array({ minLength: 16, maxLength: 16 })
        .map((b) => ({ kind: 'address' as const, address: { family: 6 as const, bytes: b } })),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: -29_000, max: 29_000 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.integer({ min: 0, max: 86_400 }),
        target,
        fc.array(access, { minLength: 1, maxLength: 5 }),
        (skew, id, nonce, duration, tgt, acc) => {
          const p = seal(
            { timestampMs: NOW + skew, oneTimeId: id, durationSeconds: duration, target: tgt, access: acc },
            nonce,
          );
          const v = verifyKnock(p, context());
          assert.ok(v.ok, JSON.stringify(v));
          assert.deepEqual(v.value.payload.oneTimeId, id);
          assert.equal(v.value.payload.durationSeconds, duration);
          assert.deepEqual(v.value.payload.target, tgt);
          assert.deepEqual(v.value.payload.access, acc);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('any single bit flipped anywhere is rejected', () => {
    const p = seal();
    const ctx = context();
    for (let bit = 0; bit < p.length * 8; bit++) {
      const q = p.slice();
      q[bit >> 3]! ^= 1 << (bit & 7);
      const v = verifyKnock(q, ctx);
      assert.equal(v.ok, false, `bit ${bit}`);
      if (!v.ok) assert.ok(['client', 'mac'].includes(v.reason), `bit ${bit}: ${v.reason}`);
    }
  });

  test('truncated or extended packets are rejected with reason length', () => {
    const p = seal();
    const ctx = context();
    for (let n = 0; n < p.length; n++)
      assert.deepEqual(verifyKnock(p.subarray(0, n), ctx), { ok: false, reason: 'length' });
    for (let extra = 1; extra <= 200; extra += 7) {
      const q = new Uint8Array(p.length + extra);
      q.set(p);
      assert.deepEqual(verifyKnock(q, ctx), { ok: false, reason: 'length' });
    }
  });

  test('a wrong client key is rejected', () => {
    const other = deriveClientKeys(bytes(32, 0x99));
    const p = seal({}, bytes(24, 1), other);
    const v = verifyKnock(p, context());
    assert.deepEqual(v, { ok: false, reason: 'client' });
    // Even if the lookup matched, the MAC would not.
    assert.deepEqual(openKnock(p, prepareClient(clientKeys)), { ok: false, reason: 'mac' });
  });

  test('a wrong server id is rejected', () => {
    const p = seal({ serverId: bytes(16, 0x34) });
    assert.deepEqual(verifyKnock(p, context()), { ok: false, reason: 'server' });
  });

  test('stale and future timestamps are rejected, edges accepted', () => {
    const ctx = context();
    assert.ok(verifyKnock(seal({ timestampMs: NOW - 30_000 }), ctx).ok);
    assert.ok(verifyKnock(seal({ timestampMs: NOW + 30_000 }), ctx).ok);
    // Authentic but out of the window: whose, and by how much (the server logs a wrong clock).
    const stale = verifyKnock(seal({ timestampMs: NOW - 30_001 }), ctx);
    assert.deepEqual({ ...stale }, { ok: false, reason: 'stale', client: 'alice', skewMs: -30_001 });
    const future = verifyKnock(seal({ timestampMs: NOW + 30_001 }), ctx);
    assert.deepEqual({ ...future }, { ok: false, reason: 'future', client: 'alice', skewMs: 30_001 });
    // Far outside the window the lookup table has no step for it: rejected before any MAC.
    assert.deepEqual(verifyKnock(seal({ timestampMs: NOW - 3_600_000 }), ctx), {
      ok: false,
      reason: 'client',
    });
  });

  test('an unknown version is rejected as version', () => {
    assert.deepEqual(verifyKnock(seal({ version: 2 }), context()), { ok: false, reason: 'version' });
  });

  test('random bytes never throw and always get a known reason (property)', () => {
    const ctx = context();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (b) => {
        const v = verifyKnock(b, ctx);
        assert.equal(v.ok, false);
        if (!v.ok) assert.ok((REJECT_REASONS as readonly string[]).includes(v.reason));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: PACKET_LENGTH, maxLength: PACKET_LENGTH }), (b) => {
        assert.equal(verifyKnock(b, ctx).ok, false);
      }),
      { numRuns: 2000 },
    );
  });

  test('two packets of one client share no byte pattern', () => {
    const a = seal({ oneTimeId: bytes(16, 1) }, bytes(24, 1));
    const b = seal({ oneTimeId: bytes(16, 2) }, bytes(24, 2));
    // Same client, same step, same request: only the nonce and id differ. No offset may be
    // equal in more than a chance number of positions (expected 336/256 ≈ 1.3).
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
    assert.ok(same < 12, `${same} equal bytes`);
    assert.notEqual(toHex(a.subarray(24, 32)), toHex(b.subarray(24, 32)), 'masked lookup tags differ');
  });

  test('the length does not depend on the contents', () => {
    const small = seal({ access: [{ kind: 'port', protocol: 'tcp', port: 22 }] });
    const big = seal({
      access: Array.from({ length: 5 }, (_, i) => ({
        kind: 'service' as const,
        name: `service-name-${i}-padding-xx`,
      })),
      target: { kind: 'address', address: parseIp('2001:db8::1')! },
    });
    assert.equal(small.length, big.length);
  });

  test('encodePayload refuses what cannot be sent (programming errors throw typed errors)', () => {
    assert.throws(() => encodePayload(payload({ access: [] })), { code: 'bad-argument' });
    assert.throws(() => encodePayload(payload({ oneTimeId: bytes(8, 1) })), { code: 'bad-argument' });
    assert.throws(() => encodePayload(payload({ access: [{ kind: 'service', name: 'Bad Name' }] })), {
      code: 'bad-argument',
    });
    assert.throws(() => encodePayload(payload({ durationSeconds: 86_401 })), { code: 'bad-argument' });
    assert.throws(() => encodePayload({ ...payload(), serverId: serverId.subarray(0, 15) }), {
      code: 'bad-argument',
    });
  });
});
