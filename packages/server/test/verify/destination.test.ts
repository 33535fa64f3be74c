import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KnockPipeline } from '../../src/pipeline/pipeline.js';
import {
  HOST_ADDRESSES_MAX_AGE_MS,
  HOST_ADDRESSES_MIN_GAP_MS,
  HostAddresses,
} from '../../src/verify/destination.js';
import { FIXTURE_HOST, granted, NOW, rig } from '../pipeline/_harness.js';

describe('HostAddresses', () => {
  it('reads the OS list once, canonicalises it, and drops IPv6 zones', () => {
    let reads = 0;
    const h = new HostAddresses(() => {
      reads++;
      return ['127.0.0.1', '192.0.2.1', '2001:DB8:0:0::1', 'fe80::1%eth0', 'garbage'];
    });
    assert.ok(h.isOurs('192.0.2.1', NOW));
    assert.ok(h.isOurs('2001:db8::1', NOW));
    assert.ok(h.isOurs('fe80::1', NOW));
    assert.equal(h.isOurs('192.0.2.2', NOW), false);
    assert.equal(reads, 1, 'a miss right after a read does not read again');
  });

  it('an address added later is ours after minGapMs; a removed one is gone after maxAgeMs', () => {
    let list = ['192.0.2.1'];
    let reads = 0;
    const h = new HostAddresses(() => {
      reads++;
      return list;
    });
    assert.deepEqual([HOST_ADDRESSES_MIN_GAP_MS, HOST_ADDRESSES_MAX_AGE_MS], [1000, 10_000]);
    assert.ok(h.isOurs('192.0.2.1', NOW));
    list = ['192.0.2.1', '192.0.2.9'];
    assert.equal(h.isOurs('192.0.2.9', NOW + 500), false);
    assert.ok(h.isOurs('192.0.2.9', NOW + 1001));
    // A flood of foreign destinations costs at most one read per gap.
    const before = reads;
    for (let i = 0; i < 1000; i++) h.isOurs(`198.18.0.${i & 255}`, NOW + 1002 + i);
    assert.ok(reads - before <= 1, `${reads - before} reads`);
    list = ['192.0.2.9'];
    assert.ok(h.isOurs('192.0.2.1', NOW + 5000), 'still cached');
    assert.equal(h.isOurs('192.0.2.1', NOW + 12_000), false, 're-read after maxAgeMs');
  });

  it('a failing read keeps the last known set', () => {
    let fail = false;
    const h = new HostAddresses(() => {
      if (fail) throw new Error('EMFILE');
      return ['192.0.2.1'];
    });
    assert.ok(h.isOurs('192.0.2.1', NOW));
    fail = true;
    assert.ok(h.isOurs('192.0.2.1', NOW + 60_000));
  });
});

describe('KnockPipeline: packets addressed to another host (issue 12 item 4)', () => {
  function withHost() {
    const base = rig();
    const pipeline = new KnockPipeline({
      config: base.fixture.config,
      store: base.store,
      firewall: base.firewall,
      logger: base.log.logger,
      nowMs: NOW,
      hostAddresses: new HostAddresses(() => FIXTURE_HOST),
    });
    return { ...base, pipeline };
  }

  it('a valid knock sent to another address is refused as not-for-us, before any crypto', async () => {
    const r = withHost();
    const f = r.fixture;
    const knock = f.knock('alice', NOW);
    r.pipeline.handle(f.udp(knock, NOW, { dst: '192.0.2.77' }), NOW);
    await r.pipeline.idle();
    assert.deepEqual(granted(r.firewall), []);
    assert.deepEqual(r.pipeline.counters.snapshot(), { 'not-for-us': 1 }, 'nothing else was tried');
    // The same packet addressed to us is granted: not-for-us did not spend its one-time id.
    r.pipeline.handle(f.udp(knock, NOW, { dst: '192.0.2.1' }), NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
  });

  it('fwknop packets and sequence knocks to another address are refused the same way', async () => {
    const base = rig({ fixture: { fwknopClients: [{ name: 'laptop', services: ['ssh'] }] } });
    const pipeline = new KnockPipeline({
      config: base.fixture.config,
      store: base.store,
      firewall: base.firewall,
      logger: base.log.logger,
      nowMs: NOW,
      hostAddresses: new HostAddresses(() => FIXTURE_HOST),
    });
    const f = base.fixture;
    pipeline.handle(
      f.udp(f.fwknopPacket('laptop', NOW), NOW, { dst: '2001:db8::77', src: '2001:db8::5', dstPort: 62201 }),
      NOW,
    );
    for (const k of f.sequence('alice', 'ssh', NOW))
      pipeline.handle({ ...f.sequencePacket(k), dstAddress: '192.0.2.77' }, NOW);
    await pipeline.idle();
    assert.deepEqual(granted(base.firewall), []);
    assert.equal(pipeline.counters.get('not-for-us'), 5);
    assert.equal(pipeline.sequenceSources, 0);
  });
});
