import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseIp, REJECT_REASONS, stepStartMs, timeStep, toHex } from '@spa/shared';
import { KNOCK_REJECTS } from '../../src/pipeline/reasons.js';
import { POLICY_REASONS } from '../../src/policy/reasons.js';
import { REPLAY_FILE } from '../../src/replay/record.js';
import { filterKnockPorts, granted, NOW, rig } from './_harness.js';

describe('KnockPipeline: SPA knocks', () => {
  it('a valid knock gives exactly one grant for the source, right port and duration', async () => {
    const r = rig();
    const f = r.fixture;
    r.pipeline.handle(f.udp(f.knock('alice', NOW, { durationSeconds: 60 }), NOW), NOW);
    await r.pipeline.idle();
    assert.deepEqual(granted(r.firewall), [
      { address: '198.51.100.7', protocol: 'tcp', port: 22, seconds: 60, client: 'alice' },
    ]);
    assert.deepEqual(r.pipeline.counters.snapshot(), { grant: 1 });
    const info = r.log.records().find((l) => l.msg === 'grant');
    assert.ok(info);
    assert.equal(info.level, 30);
    assert.equal(info.client, 'alice');
    assert.equal(info.address, '198.51.100.7');
    assert.equal(info.service, 'ssh');
    assert.equal(info.seconds, 60);
  });

  it('a literal-address knock grants that address; IPv6 sources work', async () => {
    const r = rig();
    const f = r.fixture;
    const target = { kind: 'address', address: parseIp('2001:db8:0::7')! } as const;
    r.pipeline.handle(f.udp(f.knock('alice', NOW, { target }), NOW, { src: '2001:db8::99' }), NOW);
    r.pipeline.handle(f.udp(f.knock('bob', NOW), NOW, { src: '2001:db8::98' }), NOW);
    await r.pipeline.idle();
    assert.deepEqual(
      granted(r.firewall).map((g) => `${g.address} ${g.protocol}/${g.port} ${g.seconds}`),
      ['2001:db8::7 tcp/22 30', '2001:db8::98 udp/53 30'],
    );
  });

  it('a replayed knock is rejected as replay, from any source', async () => {
    const r = rig();
    const f = r.fixture;
    const k = f.knock('alice', NOW);
    r.pipeline.handle(f.udp(k, NOW), NOW);
    r.pipeline.handle(f.udp(k, NOW + 1000), NOW + 1000);
    r.pipeline.handle(f.udp(k, NOW + 2000, { src: '203.0.113.66' }), NOW + 2000);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.equal(r.pipeline.counters.get('replay'), 2);
  });

  it('a restart over the same state directory still rejects the replay', async () => {
    const a = rig();
    const k = a.fixture.knock('alice', NOW);
    a.pipeline.handle(a.fixture.udp(k, NOW), NOW);
    await a.pipeline.idle();
    a.store.close();
    const b = rig({ reuse: a.fixture, nowMs: NOW + 5000 });
    b.pipeline.handle(b.fixture.udp(k, NOW + 5000), NOW + 5000);
    await b.pipeline.idle();
    assert.equal(granted(b.firewall).length, 0);
    assert.equal(b.pipeline.counters.get('replay'), 1);
    b.store.close();
  });

  it('a simulated kill -9 (the old pipeline just dropped) still rejects the replay', async () => {
    const a = rig();
    const k = a.fixture.knock('alice', NOW);
    a.pipeline.handle(a.fixture.udp(k, NOW), NOW);
    // No idle(), no close(): the record was written before the grant was even issued.
    const b = rig({ reuse: a.fixture, nowMs: NOW + 100 });
    b.pipeline.handle(b.fixture.udp(k, NOW + 100), NOW + 100);
    await b.pipeline.idle();
    assert.equal(granted(b.firewall).length, 0);
    assert.equal(b.pipeline.counters.get('replay'), 1);
  });

  it('the record reaches the file before the firewall is asked', () => {
    const r = rig();
    const oneTimeId = new Uint8Array(16).fill(0xab);
    let onDisk: boolean | undefined;
    r.firewall.grant = async () => {
      onDisk = readFileSync(join(r.fixture.config.stateDir, REPLAY_FILE), 'latin1').includes(
        toHex(oneTimeId),
      );
    };
    r.pipeline.handle(r.fixture.udp(r.fixture.knock('alice', NOW, { oneTimeId }), NOW), NOW);
    assert.equal(onDisk, true);
  });
});

describe('KnockPipeline: every reject reason is reachable and counted', () => {
  it('length, client, mac, version, server, stale, future, replay, port', async () => {
    const r = rig();
    const f = r.fixture;
    const p = r.pipeline;
    const send = (payload: Uint8Array, params = {}) => p.handle(f.udp(payload, NOW, params), NOW);
    send(new Uint8Array(100)); // length
    send(new Uint8Array(336).fill(7)); // client
    const flipped = f.knock('alice', NOW);
    flipped[100] = flipped[100]! ^ 1;
    send(flipped); // mac
    send(f.knock('alice', NOW, { version: 2 })); // version
    send(f.knock('alice', NOW, { serverId: new Uint8Array(16).fill(9) })); // server
    send(f.knock('alice', NOW, { timestampMs: NOW - 31_000 })); // stale
    send(f.knock('alice', NOW, { timestampMs: NOW + 31_000 })); // future
    const once = f.knock('alice', NOW);
    send(once);
    send(once); // replay
    send(f.knock('alice', NOW), { dstPort: 39999 }); // port: neither a knock port nor the sequence range
    await p.idle();
    const c = p.counters.snapshot();
    for (const reason of [
      'length',
      'client',
      'mac',
      'version',
      'server',
      'stale',
      'future',
      'replay',
      'port',
    ])
      assert.equal(c[reason], 1, reason);
    assert.equal(c.grant, 1);
  });

  it('malformed: a tag of one step carrying a timestamp of another', () => {
    // Near the epoch a 60 s step number lands inside the 30 s table: step binding fails.
    const now = 45_000;
    const r = rig({ nowMs: now });
    const f = r.fixture;
    assert.equal(timeStep(now, 60), 0);
    r.pipeline.handle(f.udp(f.knock('alice', now, { stepSeconds: 60 }), now), now);
    assert.equal(r.pipeline.counters.get('malformed'), 1);
  });

  it('busy: the replay memory is full', () => {
    const r = rig({ store: { testSeams: { capacity: 1 } } });
    const f = r.fixture;
    r.pipeline.handle(f.udp(f.knock('alice', NOW), NOW), NOW);
    r.pipeline.handle(f.udp(f.knock('alice', NOW), NOW), NOW);
    assert.equal(r.pipeline.counters.get('busy'), 1);
  });

  it('store: the replay store cannot be written, nothing is granted', async () => {
    const r = rig();
    r.store.close();
    r.pipeline.handle(r.fixture.udp(r.fixture.knock('alice', NOW), NOW), NOW);
    await r.pipeline.idle();
    assert.equal(r.pipeline.counters.get('store'), 1);
    assert.equal(granted(r.firewall).length, 0);
    assert.ok(r.log.records().some((l) => l.level === 50 && String(l.msg).includes('replay store')));
  });

  it('every policy reason', () => {
    const r = rig({
      fixture: {
        clients: [
          { name: 'alice', services: ['ssh'] },
          { name: 'gone', revoked: true },
          { name: 'old', expiresAtMs: NOW },
          { name: 'office', allowedSources: ['10.0.0.0/8'] },
        ],
      },
    });
    const f = r.fixture;
    const send = (client: string, params = {}) =>
      r.pipeline.handle(f.udp(f.knock(client, NOW, params), NOW), NOW);
    send('gone');
    send('old');
    send('office');
    send('alice', { access: [{ kind: 'service', name: 'dns' }] });
    const strict = rig({ fixture: { policy: { requireLiteralAddress: true } } });
    strict.pipeline.handle(strict.fixture.udp(strict.fixture.knock('alice', NOW), NOW), NOW);
    // A revoked key stays in the lookup table: one MAC, then refused as policy-revoked.
    assert.deepEqual(r.pipeline.counters.snapshot(), {
      'policy-revoked': 1,
      'policy-expired': 1,
      'policy-service': 1,
      'policy-source': 1,
    });
    assert.deepEqual(strict.pipeline.counters.snapshot(), { 'policy-literal': 1 });
    // Each is authenticated, so it is logged at info with the client's name (audit).
    assert.deepEqual(
      r.log
        .records()
        .filter((l) => l.msg === 'authenticated knock refused')
        .map((l) => [l.level, l.client, l.reason, l.address]),
      [
        [30, 'gone', 'policy-revoked', '198.51.100.7'],
        [30, 'old', 'policy-expired', '198.51.100.7'],
        [30, 'office', 'policy-source', '198.51.100.7'],
        [30, 'alice', 'policy-service', '198.51.100.7'],
      ],
    );
  });

  it('the reason list covers the protocol and policy codes', () => {
    for (const r of [...REJECT_REASONS, ...POLICY_REASONS]) assert.ok(KNOCK_REJECTS.includes(r), r);
  });

  it('an authentic knock from a wrong clock: counted stale/future and logged at info with the skew', () => {
    const r = rig();
    const f = r.fixture;
    r.pipeline.handle(f.udp(f.knock('alice', NOW - 45_000), NOW), NOW);
    r.pipeline.handle(f.udp(f.knock('bob', NOW + 44_000), NOW, { src: '198.51.100.8' }), NOW);
    r.pipeline.handle(f.udp(new Uint8Array(336), NOW), NOW); // a stranger: debug only, no name
    assert.deepEqual(r.pipeline.counters.snapshot(), { stale: 1, future: 1, client: 1 });
    assert.deepEqual(
      r.log
        .records()
        .filter((l) => l.msg === 'authenticated knock refused')
        .map((l) => [l.level, l.client, l.reason, l.skewSeconds, l.address]),
      [
        [30, 'alice', 'stale', -45, '198.51.100.7'],
        [30, 'bob', 'future', 44, '198.51.100.8'],
      ],
    );
  });

  it("fwknop's tolerance (±120 s) is a config choice: a fixed knock port and max_past/max_future = 2m", async () => {
    const r = rig({
      fixture: {
        knock: { mode: 'fixed', port: 41000 },
        window: { maxPastMs: 120_000, maxFutureMs: 120_000 },
      },
    });
    const f = r.fixture;
    r.pipeline.handle(f.udp(f.knock('alice', NOW - 115_000), NOW, { dstPort: 41000 }), NOW);
    r.pipeline.handle(
      f.udp(f.knock('bob', NOW + 115_000), NOW, { dstPort: 41000, src: '198.51.100.8' }),
      NOW,
    );
    await r.pipeline.idle();
    assert.deepEqual(
      granted(r.firewall).map((g) => `${g.client} ${g.address}`),
      ['alice 198.51.100.7', 'bob 198.51.100.8'],
    );
  });

  it('audit lines have a budget too: a leaked key cannot flood the log at info', () => {
    const r = rig({ fixture: { clients: [{ name: 'gone', revoked: true }] } });
    for (let i = 0; i < 50; i++) r.pipeline.handle(r.fixture.udp(r.fixture.knock('gone', NOW), NOW), NOW);
    r.pipeline.handle(r.fixture.udp(r.fixture.knock('gone', NOW + 1000), NOW + 1000), NOW + 1000);
    assert.equal(r.pipeline.counters.get('policy-revoked'), 51);
    const info = r.log.records().filter((l) => l.level === 30);
    assert.equal(info.filter((l) => l.msg === 'authenticated knock refused').length, 6, '5 + 1 next second');
    assert.equal(info.find((l) => l.msg === 'authenticated knocks refused, not logged')?.suppressed, 45);
  });

  it('rejections are logged at debug with a budget; a flood is counted, not logged', () => {
    const r = rig();
    for (let i = 0; i < 5000; i++) r.pipeline.handle(r.fixture.udp(new Uint8Array(336), NOW), NOW);
    assert.equal(r.pipeline.counters.get('client'), 5000);
    const rejects = r.log.records().filter((l) => l.msg === 'knock rejected');
    assert.ok(rejects.length > 0 && rejects.length <= 20, `${rejects.length} lines`);
    assert.ok(rejects.every((l) => l.level === 20));
  });

  it('a failing firewall is counted and logged, not thrown', async () => {
    const r = rig();
    r.firewall.failNext('grant', new Error('boom'));
    r.pipeline.handle(r.fixture.udp(r.fixture.knock('alice', NOW), NOW), NOW);
    await r.pipeline.idle();
    assert.equal(r.pipeline.counters.get('grant-failed'), 1);
    assert.ok(r.log.records().some((l) => l.msg === 'grant failed'));
  });

  it('a bug around one packet is counted, logged with a budget, and not thrown', () => {
    const r = rig();
    const broken = {
      ...r.fixture.udp(new Uint8Array(336), NOW),
      payload: undefined as unknown as Uint8Array,
    };
    for (let i = 0; i < 100; i++) r.pipeline.handle(broken, NOW);
    assert.equal(r.pipeline.counters.get('internal-error'), 100);
    const errors = r.log.records().filter((l) => l.msg === 'packet handler failed');
    assert.equal(errors.length, 7, '1, 2, 4, … 64');
  });

  it('capture rejects are counted under capture:<reason>', () => {
    const r = rig();
    r.pipeline.captureReject('truncated');
    r.pipeline.captureReject('fragment');
    assert.deepEqual(r.pipeline.counters.snapshot(), { 'capture:fragment': 1, 'capture:truncated': 1 });
  });
});

describe('KnockPipeline: step roll', () => {
  it('rolls the watched ports to T-1, T, T+1 and the old port still works across the boundary', async () => {
    const r = rig();
    const f = r.fixture;
    const step = timeStep(NOW, 30);
    const portAt = (s: number) => f.knockPortAt(stepStartMs(s, 30));
    const ports = (...steps: number[]) => [...new Set(steps.map(portAt))].sort((a, b) => a - b);
    assert.deepEqual([...r.pipeline.watchedPorts], ports(step - 1, step, step + 1));
    const boundary = stepStartMs(step + 1, 30);
    // A client still in step T sends to T's port; it arrives after the roll to T+1.
    const late = f.knock('alice', boundary - 10);
    assert.equal(r.pipeline.roll(boundary + 1), true);
    assert.equal(r.pipeline.roll(boundary + 2), false, 'one roll per step');
    assert.deepEqual([...r.pipeline.watchedPorts], ports(step, step + 1, step + 2));
    // With the default horizon (K = 1) every roll re-arms the filter, and the new one holds
    // exactly the new T-1, T, T+1.
    assert.equal(r.filters.length, 1);
    assert.equal(r.filters[0], r.pipeline.filter);
    assert.deepEqual(filterKnockPorts(r.pipeline.filter), ports(step, step + 1, step + 2));
    assert.match(r.pipeline.filter, /portrange 50000-59999/);
    r.pipeline.handle(f.udp(late, boundary - 10, { dstPort: portAt(step) }), boundary + 5);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
  });

  it('a packet rolls the tables when the timer has not yet', () => {
    const r = rig();
    const f = r.fixture;
    const next = stepStartMs(timeStep(NOW, 30) + 1, 30) + 500;
    r.pipeline.handle(f.udp(f.knock('alice', next), next), next);
    assert.equal(r.pipeline.step, timeStep(next, 30));
    assert.equal(r.pipeline.counters.get('grant'), 1);
  });

  it('rolls backwards only when the wall clock was set back (clock-steps.test.ts has the rest)', () => {
    const r = rig();
    const step = r.pipeline.step;
    assert.equal(r.pipeline.roll(stepStartMs(step, 30) - 500), false, 'a packet stamped just before');
    assert.equal(r.pipeline.step, step);
    assert.equal(r.pipeline.roll(NOW - 60_000), true);
    assert.equal(r.pipeline.step, step - 2);
  });

  it('a fixed knock port gives a filter on that port only', () => {
    const r = rig({ fixture: { knock: { mode: 'fixed', port: 62201 }, sequence: false } });
    assert.deepEqual([...r.pipeline.watchedPorts], [62201]);
    assert.equal(r.pipeline.filter, '(udp and dst port (62201))');
  });
});
