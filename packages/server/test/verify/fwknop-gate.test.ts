import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FWKNOP_CLIENT_MAX_WIRE_LENGTH } from '@spa/shared';
import { DEFAULT_FWKNOP_BUDGET, FwknopGate } from '../../src/verify/fwknop-gate.js';
import { TokenBucket } from '../../src/verify/token-bucket.js';

const T0 = 1_000_000;
const shaped = { size: 20, hasShape: () => true };
const packet = new Uint8Array(800);

describe('TokenBucket (clock passed in)', () => {
  it('gives the burst, then the rate', () => {
    const b = new TokenBucket(10, 3, T0);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => b.take(1, T0)),
      [true, true, true, false],
    );
    assert.equal(b.take(1, T0 + 50), false, 'half a token after 50 ms');
    assert.equal(b.take(1, T0 + 100), true, 'one token after 100 ms');
    assert.equal(b.take(5, T0 + 10_000), false, 'never more than the burst');
  });

  it('a clock step backwards refills nothing and does not stall the bucket', () => {
    const b = new TokenBucket(10, 1, T0);
    assert.ok(b.take(1, T0));
    assert.equal(b.take(1, T0 - 60_000), false);
    assert.ok(b.take(1, T0 - 60_000 + 100), 'measured from the earlier time: 100 ms later, a token');
  });
});

describe('FwknopGate', () => {
  it('refuses what no stock client builds before anything else', () => {
    const g = new FwknopGate(T0);
    assert.equal(
      g.admit(new Uint8Array(FWKNOP_CLIENT_MAX_WIRE_LENGTH + 1), 'a', shaped, T0),
      'fwknop-length',
    );
    assert.equal(g.admit(new Uint8Array(FWKNOP_CLIENT_MAX_WIRE_LENGTH), 'a', shaped, T0), undefined);
    assert.equal(g.admit(packet, 'b', { size: 20, hasShape: () => false }, T0), 'fwknop-shape');
  });

  it('sheds a source over its budget, and the others still get through', () => {
    const g = new FwknopGate(T0);
    const burst = DEFAULT_FWKNOP_BUDGET.perSourceBurst;
    for (let i = 0; i < burst; i++) assert.equal(g.admit(packet, 'attacker', shaped, T0), undefined);
    assert.equal(g.admit(packet, 'attacker', shaped, T0), 'fwknop-shed');
    assert.equal(g.admit(packet, 'client', shaped, T0), undefined);
    assert.equal(g.admit(packet, 'attacker', shaped, T0 + 1000), undefined, 'refilled after a second');
  });

  it('bounds the HMACs of the whole port, charged per candidate client, whatever the sources', () => {
    const g = new FwknopGate(T0);
    const perPacket = shaped.size;
    let admitted = 0;
    // A flood from spoofed sources: one packet each, 20,000 packets over one second.
    for (let i = 0; i < 20_000; i++) {
      if (g.admit(packet, `198.18.${i >> 8}.${i & 255}`, shaped, T0 + i / 20) === undefined) admitted++;
    }
    const { hmacBurst, hmacsPerSecond } = DEFAULT_FWKNOP_BUDGET;
    assert.ok(admitted * perPacket <= hmacBurst + hmacsPerSecond, `admitted ${admitted}`);
    assert.ok(admitted >= Math.floor(hmacsPerSecond / perPacket), `admitted ${admitted}`);
    assert.ok(g.sources <= DEFAULT_FWKNOP_BUDGET.maxSources, 'the source table is bounded');
  });
});
