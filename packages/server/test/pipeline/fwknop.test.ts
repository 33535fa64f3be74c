/** The pipeline's fwknop path: packets of the stock client's format, on fakes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FixtureFwknopClient } from '../support/fixture.js';
import { filterKnockPorts, granted, NOW, type Rig, rig } from './_harness.js';

const SRC = '198.51.100.7';
const FWKNOP_PORT = 62201;

function fwknopRig(clients: readonly FixtureFwknopClient[] = [{ name: 'laptop', services: ['ssh'] }]): Rig {
  return rig({ fixture: { fwknopClients: clients } });
}

function send(r: Rig, payload: Uint8Array, at = NOW, src = SRC, dstPort = FWKNOP_PORT): void {
  r.pipeline.handle(r.fixture.udp(payload, at, { src, dstPort }), at);
}

describe('KnockPipeline: fwknop packets', () => {
  it('an access request opens the service for the source, logged with via fwknop', async () => {
    const r = fwknopRig();
    send(r, r.fixture.fwknopPacket('laptop', NOW));
    await r.pipeline.idle();
    assert.deepEqual(granted(r.firewall), [
      { address: SRC, protocol: 'tcp', port: 22, seconds: 30, client: 'laptop' },
    ]);
    const line = r.log.records().find((l) => l.msg === 'grant');
    assert.equal(line?.client, 'laptop');
    assert.equal(line?.via, 'fwknop');
  });

  it('a literal allow address and a client timeout are honoured, capped by the maximum', async () => {
    const r = fwknopRig([{ name: 'laptop', services: ['ssh'], maxDurationSeconds: 120 }]);
    send(r, r.fixture.fwknopPacket('laptop', NOW, { message: '203.0.113.9,tcp/22', clientTimeoutSec: 600 }));
    await r.pipeline.idle();
    assert.deepEqual(granted(r.firewall), [
      { address: '203.0.113.9', protocol: 'tcp', port: 22, seconds: 120, client: 'laptop' },
    ]);
  });

  it('the capture filter holds the fwknop port only when there are fwknop clients', () => {
    assert.ok(filterKnockPorts(fwknopRig().pipeline.filter).includes(FWKNOP_PORT));
    assert.ok(!filterKnockPorts(rig().pipeline.filter).includes(FWKNOP_PORT));
  });

  it('a reload that adds the first fwknop client re-arms the capture with the fwknop port', async () => {
    const withFwknop = fwknopRig();
    const r = rig({ reuse: undefined });
    assert.ok(!filterKnockPorts(r.pipeline.filter).includes(FWKNOP_PORT));
    r.pipeline.reload({ ...r.fixture.config, fwknop: withFwknop.fixture.config.fwknop }, NOW);
    assert.equal(r.filters.length, 1, 'one re-arm');
    assert.ok(filterKnockPorts(r.filters[0]!).includes(FWKNOP_PORT));
    send(r, withFwknop.fixture.fwknopPacket('laptop', NOW));
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    r.pipeline.reload(r.fixture.config, NOW); // the last one removed: the port leaves the filter
    assert.equal(r.filters.length, 2);
    assert.ok(!filterKnockPorts(r.filters[1]!).includes(FWKNOP_PORT));
  });

  it('a replayed packet is refused as replay, from any source', async () => {
    const r = fwknopRig();
    const p = r.fixture.fwknopPacket('laptop', NOW);
    send(r, p);
    send(r, p, NOW + 1000);
    send(r, p, NOW + 2000, '203.0.113.66');
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.equal(r.pipeline.counters.get('replay'), 2);
  });

  it('a wrong HMAC key, a flipped byte and random text get mac or fwknop-shape, and cost no grant', async () => {
    const r = fwknopRig();
    const wrong = r.fixture.fwknopPacket('laptop', NOW, {
      keys: { encKey: new Uint8Array(32).fill(1), hmacKey: new Uint8Array(64).fill(2), hmacDigest: 'sha256' },
    });
    send(r, wrong);
    const flipped = r.fixture.fwknopPacket('laptop', NOW);
    flipped[20] = flipped[20] === 0x41 ? 0x42 : 0x41;
    send(r, flipped);
    send(r, new TextEncoder().encode('hello'));
    send(r, new Uint8Array(0));
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 0);
    const c = r.pipeline.counters.snapshot();
    assert.equal(c.mac, 2);
    assert.equal(c['fwknop-shape'], 2);
  });

  it('stale and future packets are refused', async () => {
    const r = fwknopRig();
    send(r, r.fixture.fwknopPacket('laptop', NOW, { timestampSec: Math.floor(NOW / 1000) - 31 }));
    send(r, r.fixture.fwknopPacket('laptop', NOW, { timestampSec: Math.floor(NOW / 1000) + 31 }));
    await r.pipeline.idle();
    assert.deepEqual(r.pipeline.counters.snapshot(), { stale: 1, future: 1 });
  });

  it('command and NAT requests are refused and logged at warn without the command', async () => {
    const r = fwknopRig();
    send(r, r.fixture.fwknopPacket('laptop', NOW, { type: 'command', message: '0.0.0.0,touch /tmp/owned' }));
    await r.pipeline.idle();
    assert.equal(r.pipeline.counters.get('policy-command'), 1);
    assert.equal(granted(r.firewall).length, 0);
    const warn = r.log.records().find((l) => l.level === 40);
    assert.equal(warn?.client, 'laptop');
    assert.ok(!r.log.text().includes('owned'), 'the command text is not logged');
  });

  it('0.0.0.0 is refused when a literal address is required (per client or server-wide)', async () => {
    const perClient = fwknopRig([{ name: 'laptop', services: ['ssh'], requireLiteralAddress: true }]);
    send(perClient, perClient.fixture.fwknopPacket('laptop', NOW));
    send(perClient, perClient.fixture.fwknopPacket('laptop', NOW, { message: `${SRC},tcp/22` }));
    await perClient.pipeline.idle();
    assert.equal(perClient.pipeline.counters.get('policy-literal'), 1);
    assert.equal(granted(perClient.firewall).length, 1);
    const serverWide = rig({
      fixture: {
        fwknopClients: [{ name: 'laptop', services: ['ssh'] }],
        policy: { requireLiteralAddress: true },
      },
    });
    send(serverWide, serverWide.fixture.fwknopPacket('laptop', NOW));
    await serverWide.pipeline.idle();
    assert.equal(serverWide.pipeline.counters.get('policy-literal'), 1);
  });

  it('ports outside the client services, wrong usernames, revoked clients and foreign sources are refused', async () => {
    const r = fwknopRig([
      { name: 'laptop', services: ['ssh'], requireUsername: 'alice' },
      { name: 'old', services: ['ssh'], revoked: true },
      { name: 'office', services: ['ssh'], allowedSources: ['192.0.2.0/24'] },
    ]);
    send(r, r.fixture.fwknopPacket('laptop', NOW, { username: 'alice', message: '0.0.0.0,tcp/443' }));
    send(r, r.fixture.fwknopPacket('laptop', NOW, { username: 'mallory' }));
    send(r, r.fixture.fwknopPacket('old', NOW));
    send(r, r.fixture.fwknopPacket('office', NOW)); // from 198.51.100.7, outside 192.0.2.0/24
    send(r, r.fixture.fwknopPacket('laptop', NOW, { username: 'alice' }));
    await r.pipeline.idle();
    // The revoked key is still recognised (one HMAC): refused as policy-revoked, by name.
    assert.deepEqual(r.pipeline.counters.snapshot(), {
      'policy-service': 1,
      'policy-username': 1,
      'policy-revoked': 1,
      mac: 1,
      grant: 1,
    });
    const audit = r.log.records().filter((l) => l.msg === 'authenticated knock refused');
    assert.deepEqual(
      audit.map((l) => [l.level, l.client, l.reason]),
      [
        [30, 'laptop', 'policy-service'],
        [30, 'laptop', 'policy-username'],
        [30, 'old', 'policy-revoked'],
      ],
    );
  });

  it('fwknop packets on a native knock port, and native knocks on the fwknop port, go nowhere', async () => {
    const r = fwknopRig();
    const nativePort = r.fixture.knockPortAt(NOW);
    send(r, r.fixture.fwknopPacket('laptop', NOW), NOW, SRC, nativePort);
    send(r, r.fixture.knock('alice', NOW));
    send(r, r.fixture.knock('alice', NOW), NOW, SRC, nativePort);
    await r.pipeline.idle();
    assert.deepEqual(r.pipeline.counters.snapshot(), { length: 1, 'fwknop-shape': 1, grant: 1 });
  });
});
