// Issue 12, item 1: the wall clock steps (forward, back, a start far ahead). The attacks first:
// each of these let a replay through, or locked clients out, before the clock was split into a
// wall clock (timestamps, steps) and a monotonic one (how long an id is remembered).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stepStartMs, timeStep } from '@spa/shared';
import { granted, NOW, rig } from './_harness.js';

/** A monotonic clock the test moves by hand (ms), independent of the wall times it passes. */
function fakeMonotonic(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

const STEP_MS = 30_000;

describe('clock steps: replay protection does not depend on the wall clock moving forward', () => {
  it('+40 s for a moment, a packet that rolls the step, clock back: the sniffed knock is still a replay', async () => {
    const mono = fakeMonotonic();
    const r = rig({ store: { monotonic: mono.now }, monotonic: mono.now });
    const f = r.fixture;
    const k = f.knock('alice', NOW);
    r.pipeline.handle(f.udp(k, NOW), NOW);
    // The wall clock jumps 40 s ahead for under a second: a packet (any packet: here a SYN into
    // the sequence range) rolls the step, and the roll prunes the replay memory.
    mono.advance(300);
    const ahead = NOW + 40_000;
    r.pipeline.handle(f.sequencePacket({ protocol: 'tcp', port: 50_001 }), ahead);
    r.store.compactIfWorthIt(ahead);
    r.store.prune(ahead);
    // The clock is put back; the attacker replays the knock sniffed a moment ago.
    mono.advance(300);
    const back = NOW + 600;
    r.pipeline.handle(f.udp(k, back, { src: '203.0.113.66' }), back);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1, 'only the original knock was granted');
    assert.equal(r.pipeline.counters.get('replay'), 1);
  });

  it('an id stays remembered for max past + max future of monotonic time, whatever the wall clock says', () => {
    const mono = fakeMonotonic();
    const r = rig({ store: { monotonic: mono.now }, monotonic: mono.now });
    const f = r.fixture;
    const k = f.knock('alice', NOW);
    r.pipeline.handle(f.udp(k, NOW), NOW);
    const hold = 30_000 + 30_000;
    // The wall clock runs a day ahead; the monotonic clock only a little.
    mono.advance(hold - 1);
    assert.equal(r.store.prune(NOW + 86_400_000), 0, 'nothing forgotten before the hold');
    assert.equal(r.store.check('00'.repeat(16), NOW, NOW), 'ok', 'another id is fine');
    mono.advance(2);
    r.store.prune(NOW + 86_400_000);
    // Forgotten now, but a knock stamped at or before it can no longer be vouched for.
    assert.equal(r.store.size, 0);
  });

  it('a step back past the window after an id was forgotten: the replay is refused as forgotten', async () => {
    const mono = fakeMonotonic();
    const r = rig({ store: { monotonic: mono.now }, monotonic: mono.now });
    const f = r.fixture;
    const k = f.knock('alice', NOW);
    r.pipeline.handle(f.udp(k, NOW), NOW);
    // Ten minutes pass (both clocks), the id is pruned; then the wall clock is set back 10 min.
    mono.advance(600_000);
    r.store.prune(NOW + 600_000);
    assert.equal(r.store.size, 0);
    mono.advance(100);
    r.pipeline.handle(f.udp(k, NOW + 100, { src: '203.0.113.66' }), NOW + 100);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.equal(r.pipeline.counters.get('forgotten'), 1);
  });
});

describe('clock steps: burned one-time sequences', () => {
  function send(r: ReturnType<typeof rig>, atMs: number, src?: string): void {
    let t = atMs;
    for (const k of r.fixture.sequence('alice', 'ssh', NOW)) {
      r.pipeline.handle(r.fixture.sequencePacket(k, src), t);
      t += 100;
    }
  }

  it('+100 s for a moment, a roll that prunes, clock back: the completed sequence stays burned', async () => {
    const mono = fakeMonotonic();
    const r = rig({ store: { monotonic: mono.now }, monotonic: mono.now });
    send(r, NOW);
    mono.advance(500);
    r.pipeline.roll(NOW + 100_000);
    r.store.prune(NOW + 100_000);
    mono.advance(500);
    send(r, NOW + 1_000, '203.0.113.50');
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1, 'only the original sequence');
  });

  it('set back past its hold after it was forgotten: refused as forgotten', async () => {
    const mono = fakeMonotonic();
    const r = rig({ store: { monotonic: mono.now }, monotonic: mono.now });
    send(r, NOW);
    mono.advance(600_000);
    r.pipeline.roll(NOW + 600_000);
    r.store.prune(NOW + 600_000);
    assert.equal(r.store.isBurned('alice/ssh/' + timeStep(NOW, 30)), false, 'forgotten');
    mono.advance(1000);
    send(r, NOW + 1_000, '203.0.113.50');
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.equal(r.pipeline.counters.get('forgotten'), 1);
  });
});

describe('clock steps: the tables and the capture filter follow the wall clock both ways', () => {
  it('a start 300 s ahead, then the clock corrected: the tables and filter roll back, the client opens', async () => {
    const mono = fakeMonotonic();
    const ahead = NOW + 300_000;
    const r = rig({ nowMs: ahead, store: { monotonic: mono.now }, monotonic: mono.now });
    const f = r.fixture;
    assert.equal(r.pipeline.step, timeStep(ahead, 30));
    mono.advance(5_000);
    // The clock is corrected: the step timer (or the next packet) rolls back.
    const now = NOW + 5_000;
    assert.equal(r.pipeline.roll(now), true, 'rolled back');
    assert.equal(r.pipeline.step, timeStep(now, 30));
    assert.ok(r.pipeline.watchedPorts.includes(f.knockPortAt(now)));
    assert.ok(r.filters.length >= 1, 'the capture filter was re-armed');
    assert.ok(r.pipeline.filterSteps.from <= timeStep(now, 30) - 1);
    assert.ok(r.pipeline.filterSteps.until >= timeStep(now, 30) + 1);
    r.pipeline.handle(f.udp(f.knock('alice', now + 10), now + 10), now + 10);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1, 'the client opens');
    const warn = r.log.records().find((l) => l.msg === 'wall clock stepped');
    assert.ok(warn, 'the step is logged');
    assert.equal(warn.level, 40);
    assert.equal(warn.stepMs, -300_000);
  });

  it('a packet stamped after a step back rolls the tables back at once', async () => {
    const mono = fakeMonotonic();
    const r = rig({ store: { monotonic: mono.now }, monotonic: mono.now });
    const f = r.fixture;
    mono.advance(1000);
    const forward = NOW + 180_000;
    r.pipeline.roll(forward);
    assert.equal(r.pipeline.step, timeStep(forward, 30));
    mono.advance(1000);
    const back = NOW + 2000;
    r.pipeline.handle(f.udp(f.knock('alice', back), back), back);
    await r.pipeline.idle();
    assert.equal(r.pipeline.step, timeStep(back, 30));
    assert.equal(granted(r.firewall).length, 1, 'no lockout after 180 s forward and back');
  });

  it('jitter of a few ms before the step start does not flip the tables back', () => {
    const r = rig();
    const boundary = stepStartMs(timeStep(NOW, 30) + 1, 30);
    assert.equal(r.pipeline.roll(boundary + 1), true);
    const filters = r.filters.length;
    assert.equal(r.pipeline.roll(boundary - 5), false);
    assert.equal(r.pipeline.step, timeStep(boundary, 30));
    assert.equal(r.filters.length, filters);
  });

  it('a small step is not logged; a step of more than a few seconds is, at warn, with its size', () => {
    const mono = fakeMonotonic();
    const r = rig({ store: { monotonic: mono.now }, monotonic: mono.now });
    mono.advance(STEP_MS);
    r.pipeline.roll(NOW + STEP_MS + 300);
    assert.equal(r.log.records().filter((l) => l.msg === 'wall clock stepped').length, 0);
    mono.advance(STEP_MS);
    r.pipeline.roll(NOW + 2 * STEP_MS + 300 + 40_000);
    const warn = r.log.records().filter((l) => l.msg === 'wall clock stepped');
    assert.equal(warn.length, 1);
    assert.equal(warn[0]!.level, 40);
    assert.equal(warn[0]!.stepMs, 40_000);
  });
});
