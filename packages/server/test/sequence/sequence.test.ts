import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CandidateIndex, type Knock, SEQUENCE_MAX_NOISE, stepStartMs, timeStep } from '@spa/shared';
import { SequenceTracker } from '../../src/sequence/tracker.js';
import { granted, NOW, rig } from '../pipeline/_harness.js';

function send(r: ReturnType<typeof rig>, knocks: readonly Knock[], atMs: number, src?: string, gapMs = 100) {
  let t = atMs;
  for (const k of knocks) {
    r.pipeline.handle(r.fixture.sequencePacket(k, src), t);
    t += gapMs;
  }
  return t;
}

/** A port in the sequence range that is not in `knocks`. */
function wrongPort(knocks: readonly Knock[]): Knock {
  let port = 50000;
  while (knocks.some((k) => k.port === port)) port++;
  return { protocol: 'tcp', port };
}

describe('one-time knock sequences', () => {
  it('a completed sequence grants the source that service for the default duration, once', async () => {
    const r = rig();
    const seq = r.fixture.sequence('alice', 'web', NOW);
    assert.equal(seq.length, 4);
    send(r, seq, NOW);
    await r.pipeline.idle();
    assert.deepEqual(granted(r.firewall), [
      { address: '198.51.100.7', protocol: 'tcp', port: 443, seconds: 30, client: 'alice' },
    ]);
    const c = r.pipeline.counters.snapshot();
    assert.equal(c['sequence-complete'], 1);
    assert.equal(c['sequence-started'], 1);
    assert.equal(c['sequence-advanced'], 2);
    const info = r.log.records().find((l) => l.msg === 'grant');
    assert.equal(info?.via, 'sequence');
  });

  it('replaying a completed sequence (same or another source) grants nothing', async () => {
    const r = rig();
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    const t = send(r, seq, NOW);
    send(r, seq, t + 1000);
    send(r, seq, t + 2000, '203.0.113.50');
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.equal(r.pipeline.counters.get('sequence-burned'), 2);
  });

  it('a burned sequence stays burned across a restart (and a kill -9)', async () => {
    const a = rig();
    const seq = a.fixture.sequence('alice', 'ssh', NOW);
    send(a, seq, NOW);
    const b = rig({ reuse: a.fixture, nowMs: NOW + 2000 }); // a never closed
    send(b, seq, NOW + 2000, '203.0.113.50');
    await b.pipeline.idle();
    assert.equal(granted(b.firewall).length, 0);
    assert.equal(b.pipeline.counters.get('sequence-burned'), 1);
  });

  it('a wrong port in between is noise: the sequence still completes (issue 12 item 8)', async () => {
    const r = rig();
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    send(r, [seq[0]!, seq[1]!, wrongPort(seq), seq[2]!, wrongPort(seq), seq[3]!], NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.equal(r.pipeline.counters.get('sequence-noise'), 2);
  });

  it('a wrong port in place of a right one is not progress', async () => {
    const r = rig();
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    send(r, [seq[0]!, seq[1]!, wrongPort(seq), seq[3]!], NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 0);
  });

  it('a sweep of the range from one source is dropped after SEQUENCE_MAX_NOISE wrong ports', async () => {
    const r = rig();
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    const sweep: Knock[] = [];
    for (let port = 50000; sweep.length <= SEQUENCE_MAX_NOISE; port++)
      if (!seq.some((k) => k.port === port)) sweep.push({ protocol: 'tcp', port });
    send(r, [seq[0]!, seq[1]!, ...sweep, seq[2]!, seq[3]!], NOW, undefined, 50);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 0);
    assert.equal(r.pipeline.counters.get('sequence-reset-noise'), 1);
    // Starting over works.
    send(r, seq, NOW + 1000);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
  });

  it('a gap longer than the timeout resets the progress', async () => {
    const r = rig();
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    send(r, seq.slice(0, 2), NOW);
    send(r, seq.slice(2), NOW + 100 + 5_001);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 0);
    assert.equal(r.pipeline.counters.get('sequence-reset-timeout'), 1);
  });

  it('knocks of two sources do not mix', async () => {
    const r = rig();
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    send(r, seq.slice(0, 2), NOW, '198.51.100.1');
    send(r, seq.slice(0, 3), NOW + 10, '198.51.100.2');
    send(r, seq.slice(2), NOW + 20, '198.51.100.1');
    await r.pipeline.idle();
    assert.deepEqual(
      granted(r.firewall).map((g) => g.address),
      ['198.51.100.1'],
    );
  });

  it('a TCP SYN retransmission does not reset', async () => {
    const r = rig();
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    send(r, [seq[0]!, seq[1]!, seq[1]!, seq[2]!, seq[3]!], NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
  });

  it('a sequence of the previous step still works after the roll; policy applies', async () => {
    const r = rig({
      fixture: {
        clients: [
          { name: 'alice', services: ['ssh'] },
          { name: 'gone', services: ['ssh'], revoked: true },
        ],
        policy: { requireLiteralAddress: true },
      },
    });
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    const next = stepStartMs(timeStep(NOW, 30) + 1, 30) + 100;
    send(r, seq, next);
    send(r, r.fixture.sequence('gone', 'ssh', NOW), next, '198.51.100.9');
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1, 'requireLiteralAddress does not apply to sequences');
    assert.equal(r.pipeline.counters.get('policy-revoked'), 1);
  });

  it('sequences are off when not configured: the range is just a wrong port', () => {
    const r = rig({ fixture: { sequence: false } });
    send(r, [{ protocol: 'tcp', port: 50001 }], NOW);
    assert.equal(r.pipeline.counters.get('port'), 1);
    assert.doesNotMatch(r.pipeline.filter, /50000/);
  });

  it('a UDP knock in a TCP-only range is not a sequence knock', () => {
    const r = rig();
    send(r, [{ protocol: 'udp', port: 50001 }], NOW);
    assert.equal(r.pipeline.counters.get('port'), 1);
  });

  it('the filter passes the whole sequence range for the configured protocols', () => {
    const r = rig({
      fixture: { sequence: { length: 3, protocol: 'mixed', range: [51000, 51999], gapMs: 2000 } },
    });
    assert.match(r.pipeline.filter, /tcp and dst portrange 51000-51999/);
    assert.match(r.pipeline.filter, /udp and dst portrange 51000-51999/);
  });

  it('the table of sources is bounded', () => {
    const r = rig({ maxSequenceSources: 100 });
    const seq = r.fixture.sequence('alice', 'ssh', NOW);
    for (let i = 0; i < 1000; i++) send(r, [seq[0]!], NOW, `10.0.${i >> 8}.${i & 255}`);
    assert.equal(r.pipeline.sequenceSources, 100);
  });
});

describe('SequenceTracker', () => {
  const knocks: Knock[] = [
    { protocol: 'tcp', port: 50001 },
    { protocol: 'tcp', port: 50002 },
  ];
  const index = new CandidateIndex([{ id: 'a', knocks }]);

  it('evicts the least recently active source first', () => {
    const t = new SequenceTracker({ gapMs: 1000, maxSources: 2, isBurned: () => false });
    t.knock('s1', knocks[0]!, 0, index);
    t.knock('s2', knocks[0]!, 1, index);
    t.knock('s1', knocks[0]!, 2, index); // retransmit keeps s1 recent
    t.knock('s3', knocks[0]!, 3, index); // evicts s2
    assert.equal(t.size, 2);
    assert.equal(t.evicted, 1);
    assert.equal(t.knock('s1', knocks[1]!, 4, index).outcome, 'complete');
    assert.equal(t.knock('s2', knocks[1]!, 5, index).outcome, 'ignored');
  });

  it('sweep drops sources past the gap timeout', () => {
    const t = new SequenceTracker({ gapMs: 1000, isBurned: () => false });
    t.knock('s1', knocks[0]!, 0, index);
    t.knock('s2', knocks[0]!, 900, index);
    assert.equal(t.sweep(1500), 1);
    assert.equal(t.size, 1);
  });
});
