/** The pipeline's fwknop path: packets of the stock client's format, on fakes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FixtureFwknopClient } from '../support/fixture.js';
import { filterKnockPorts, granted, NOW, type Rig, rig } from './_harness.js';

const SRC = '198.51.100.7';
const FWKNOP_PORT = 62201;

function hasFwknopTerm(filter: string): boolean {
  return filter.includes(`udp and dst port ${FWKNOP_PORT} and`);
}

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

  it('the capture filter holds the fwknop port only when there are fwknop clients, length-capped', () => {
    assert.ok(hasFwknopTerm(fwknopRig().pipeline.filter));
    assert.ok(!hasFwknopTerm(rig().pipeline.filter));
    // The kernel drops what no stock client builds (1207 bytes of payload + 8 of UDP header).
    assert.match(
      fwknopRig().pipeline.filter,
      /dst port 62201 and \(\(ip and udp\[4:2\] <= 1215\) or \(ip6 and ip6\[44:2\] <= 1215\)\)/,
    );
    assert.ok(!filterKnockPorts(fwknopRig().pipeline.filter).includes(FWKNOP_PORT));
  });

  it('a reload that adds the first fwknop client re-arms the capture with the fwknop port', async () => {
    const withFwknop = fwknopRig();
    const r = rig({ reuse: undefined });
    assert.ok(!hasFwknopTerm(r.pipeline.filter));
    r.pipeline.reload({ ...r.fixture.config, fwknop: withFwknop.fixture.config.fwknop }, NOW);
    assert.equal(r.filters.length, 1, 'one re-arm');
    assert.ok(hasFwknopTerm(r.filters[0]!));
    send(r, withFwknop.fixture.fwknopPacket('laptop', NOW));
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    r.pipeline.reload(r.fixture.config, NOW); // the last one removed: the port leaves the filter
    assert.equal(r.filters.length, 2);
    assert.ok(!hasFwknopTerm(r.filters[1]!));
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

describe('KnockPipeline: the fwknop port under a flood (issue 12 item 3)', () => {
  it('forged packets over the budget are shed before any HMAC; a native knock is not', async () => {
    const clients = Array.from({ length: 20 }, (_, i) => ({ name: `fw${i}`, services: ['ssh'] }));
    const r = rig({
      fixture: { fwknopClients: clients, clients: [{ name: 'alice', services: ['ssh'] }] },
      fwknopBudget: {
        hmacsPerSecond: 200,
        hmacBurst: 200,
        perSourcePerSecond: 2,
        perSourceBurst: 5,
        maxSources: 64,
      },
    });
    // The shape of a real packet (length, base64 alphabet) with a wrong HMAC.
    const real = r.fixture.fwknopPacket('fw0', NOW);
    const forged = Uint8Array.from(real);
    forged[forged.length - 1] = forged[forged.length - 1] === 65 ? 66 : 65;
    for (let i = 0; i < 1000; i++) send(r, forged, NOW, `198.18.0.${i % 250}`);
    const c = r.pipeline.counters;
    assert.equal(c.get('mac'), 10, 'the global budget: 200 HMACs = 10 packets of 20 candidates');
    assert.equal(c.get('fwknop-shed'), 990);
    r.pipeline.handle(r.fixture.udp(r.fixture.knock('alice', NOW), NOW), NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1, 'the native knock is granted');
    // A second later the budget has refilled: a real fwknop packet is verified and granted.
    send(r, r.fixture.fwknopPacket('fw3', NOW + 1000), NOW + 1000, '203.0.113.5');
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 2);
  });

  it('a packet longer than any stock client builds is refused as fwknop-length', () => {
    const r = fwknopRig();
    send(r, new TextEncoder().encode('A'.repeat(1463)));
    assert.equal(r.pipeline.counters.get('fwknop-length'), 1);
    assert.equal(r.pipeline.counters.get('mac'), 0);
  });
});
