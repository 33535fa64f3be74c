// The capture filter spans the steps T-1 .. T+K and is re-armed about every K-1 steps; the
// pipeline still accepts SPA knocks on the ports of T-1, T, T+1 only (docs/protocol.md §7).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stepStartMs, timeStep } from '@spa/shared';
import { FILTER_HORIZON_STEPS, FilterHorizon } from '../../src/pipeline/filter-horizon.js';
import { KnockVerifier } from '../../src/verify/knock-verifier.js';
import type { Fixture } from '../support/fixture.js';
import { filterKnockPorts, granted, NOW, type Rig, rig } from './_harness.js';

const S = timeStep(NOW, 30);
const SIMULATED_STEPS = 50;

function portAt(f: Fixture, step: number): number {
  return f.knockPortAt(stepStartMs(step, 30));
}

/** Distinct knock ports of the steps from..until, sorted. */
function portsOf(f: Fixture, from: number, until: number): number[] {
  const out = new Set<number>();
  for (let s = from; s <= until; s++) out.add(portAt(f, s));
  return [...out].sort((a, b) => a - b);
}

function assertCovers(f: Fixture, filter: string, steps: readonly number[], when: string): void {
  const admitted = filterKnockPorts(filter);
  for (const s of steps)
    assert.ok(admitted.includes(portAt(f, s)), `${when}: port of step ${s} missing from the filter`);
  assert.match(filter, /portrange 50000-59999/, `${when}: the sequence range is unchanged`);
}

/** Runs `fn` with KnockVerifier.verify counted (the first crypto of an SPA knock). */
function countingVerify<T>(fn: () => T): { result: T; calls: number } {
  const original = KnockVerifier.prototype.verify;
  let calls = 0;
  KnockVerifier.prototype.verify = function (this: KnockVerifier, ...args) {
    calls++;
    return original.apply(this, args);
  };
  try {
    return { result: fn(), calls };
  } finally {
    KnockVerifier.prototype.verify = original;
  }
}

/** The horizon mechanism is tested with a wide K; the default (K = 2) re-arms every step. */
const WIDE = 20;

describe('capture filter horizon: re-arming', () => {
  for (const k of [WIDE, 5, FILTER_HORIZON_STEPS]) {
    it(`K = ${k}: ${SIMULATED_STEPS} steps re-arm every K-1 steps, and T-1..T+1 are admitted at every moment`, () => {
      const r = rig(k === FILTER_HORIZON_STEPS ? {} : { filterHorizonSteps: k });
      const f = r.fixture;
      let armedAt = S;
      let inForce = r.pipeline.filter;
      assert.deepEqual(filterKnockPorts(inForce), portsOf(f, S - 1, S + k), 'armed at start: T-1 .. T+K');
      const switches: number[] = [];
      for (let t = S + 1; t <= S + SIMULATED_STEPS; t++) {
        // Up to and exactly at the boundary (before the roll, and before a switch lands) the
        // filter in force holds what both step t-1 and step t need.
        assertCovers(f, inForce, [t - 2, t - 1, t, t + 1], `boundary of step ${t}, old filter`);
        const before = r.filters.length;
        assert.equal(r.pipeline.roll(stepStartMs(t, 30)), true);
        assert.deepEqual(
          [...r.pipeline.watchedPorts],
          portsOf(f, t - 1, t + 1),
          'watched set rolls every step',
        );
        if (r.filters.length > before) {
          assert.equal(r.filters.length, before + 1);
          switches.push(t);
          armedAt = t;
          inForce = r.filters.at(-1)!;
          assert.deepEqual(filterKnockPorts(inForce), portsOf(f, t - 1, t + k), `re-armed at step ${t}`);
          // Past ports stay out (unless a later step happens to draw the same port).
          for (const old of [t - 3, t - 2]) {
            const p = portAt(f, old);
            if (!portsOf(f, t - 1, t + k).includes(p))
              assert.ok(!filterKnockPorts(inForce).includes(p), `port of step ${old} left out`);
          }
        }
        assertCovers(f, inForce, [t - 1, t, t + 1], `step ${t}, new filter`);
        assert.equal(r.pipeline.filter, inForce);
        assert.deepEqual(r.pipeline.filterSteps, { from: armedAt - 1, until: armedAt + k });
      }
      assert.equal(switches.length, Math.floor(SIMULATED_STEPS / (k - 1)), `switches at ${switches}`);
      assert.deepEqual(
        switches,
        switches.map((_, i) => S + (i + 1) * (k - 1)),
      );
    });
  }

  it('a roll that jumps far ahead (a suspended process) re-arms at once around the new step', () => {
    const r = rig({ filterHorizonSteps: WIDE });
    const far = S + 1000;
    r.pipeline.roll(stepStartMs(far, 30) + 7);
    assert.equal(r.filters.length, 1);
    assert.deepEqual(filterKnockPorts(r.filters[0]!), portsOf(r.fixture, far - 1, far + WIDE));
  });

  it('a reload keeps the armed filter, and re-arms only if the step has left the horizon', () => {
    const r = rig({ filterHorizonSteps: WIDE });
    const filter = r.pipeline.filter;
    r.pipeline.reload(r.fixture.config, NOW + 1000);
    assert.equal(r.pipeline.filter, filter);
    assert.deepEqual(r.filters, []);
    const later = S + WIDE + 5;
    r.pipeline.reload(r.fixture.config, stepStartMs(later, 30));
    assert.equal(r.filters.length, 1);
    assertCovers(r.fixture, r.pipeline.filter, [later - 1, later, later + 1], 'after the reload');
  });

  it('a fixed knock port: the filter never changes', () => {
    const r = rig({ fixture: { knock: { mode: 'fixed', port: 62201 }, sequence: false } });
    const filter = r.pipeline.filter;
    assert.equal(filter, '(udp and dst port (62201))');
    for (let t = S + 1; t <= S + 2 * SIMULATED_STEPS; t++) r.pipeline.roll(stepStartMs(t, 30));
    r.pipeline.roll(stepStartMs(S + 100_000, 30));
    assert.deepEqual(r.filters, [], 'no switch at all');
    assert.equal(r.pipeline.filter, filter);
    assert.deepEqual([...r.pipeline.watchedPorts], [62201]);
  });

  it('K must leave room: 2 to 30 steps (at most 32 SPA ports in the filter)', () => {
    const config = rig().fixture.config;
    const key = new Uint8Array(32);
    for (const bad of [0, 1, 1.5, 31, Number.NaN])
      assert.throws(() => new FilterHorizon(config, key, bad), RangeError, String(bad));
    const widest = new FilterHorizon(config, key, 30);
    assert.equal(widest.roll(S), true);
    assert.ok(filterKnockPorts(widest.filter).length <= 32);
  });
});

describe('capture filter horizon: the daemon still accepts T-1, T, T+1 only', () => {
  /** A step ahead in the armed horizon whose port is not watched now (ports can repeat). */
  function futurePort(r: Rig): { step: number; port: number } {
    const watched = r.pipeline.watchedPorts;
    for (let s = S + 2; s <= S + WIDE; s++) {
      const port = portAt(r.fixture, s);
      if (!watched.includes(port)) return { step: s, port };
    }
    throw new Error('no future port outside the watched set');
  }

  it('a knock to a future port the filter admits is refused as port, before any crypto', async () => {
    const r = rig({ filterHorizonSteps: WIDE });
    const f = r.fixture;
    const future = futurePort(r);
    assert.ok(filterKnockPorts(r.pipeline.filter).includes(future.port), 'the filter admits it');
    const { calls } = countingVerify(() => {
      // A valid knock (it would open), a knock sealed for that future step, and noise.
      r.pipeline.handle(f.udp(f.knock('alice', NOW), NOW, { dstPort: future.port }), NOW);
      const at = stepStartMs(future.step, 30);
      r.pipeline.handle(f.udp(f.knock('alice', at), NOW, { dstPort: future.port }), NOW);
      r.pipeline.handle(f.udp(new Uint8Array(336), NOW, { dstPort: future.port }), NOW);
    });
    await r.pipeline.idle();
    assert.equal(calls, 0, 'no verification (no lookup, MAC or decrypt) for a future port');
    assert.deepEqual(r.pipeline.counters.snapshot(), { port: 3 });
    assert.deepEqual(granted(r.firewall), []);
    // The same kind of knock at the current port opens: the refusal was the port alone.
    const control = countingVerify(() => r.pipeline.handle(f.udp(f.knock('alice', NOW), NOW), NOW));
    await r.pipeline.idle();
    assert.equal(control.calls, 1);
    assert.equal(granted(r.firewall).length, 1);
  });

  it('once its step is T+1 the same port is accepted, without a re-arm', async () => {
    const r = rig({ filterHorizonSteps: WIDE });
    const f = r.fixture;
    const future = futurePort(r);
    const at = stepStartMs(future.step - 1, 30);
    r.pipeline.roll(at);
    assert.ok(r.pipeline.watchedPorts.includes(future.port));
    r.pipeline.handle(f.udp(f.knock('alice', at + 100), at + 100, { dstPort: future.port }), at + 100);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.deepEqual(r.filters, [], `step ${future.step - 1} is inside the horizon armed at ${S}`);
  });

  it('a past port (T-2) is out of a newly armed filter; one gone stale since is refused as port', () => {
    const r = rig({ filterHorizonSteps: WIDE });
    const f = r.fixture;
    const past = portAt(f, S - 2);
    // With the fixture's seed no step of the horizon draws the same port again.
    assert.ok(!portsOf(f, S - 1, S + WIDE).includes(past), 'fixture: port collision');
    assert.ok(!filterKnockPorts(r.pipeline.filter).includes(past));
    // Five steps on, the port of S+1 is T-4: no longer watched, still in the filter until the
    // next switch, and refused before any verification.
    r.pipeline.roll(stepStartMs(S + 5, 30));
    assert.deepEqual(r.filters, []);
    const stale = portAt(f, S + 1);
    assert.ok(!r.pipeline.watchedPorts.includes(stale));
    assert.ok(filterKnockPorts(r.pipeline.filter).includes(stale));
    const at = stepStartMs(S + 5, 30) + 10;
    const { calls } = countingVerify(() => {
      r.pipeline.handle(f.udp(f.knock('alice', at), at, { dstPort: past }), at);
      r.pipeline.handle(f.udp(f.knock('alice', at), at, { dstPort: stale }), at);
    });
    assert.equal(calls, 0);
    assert.deepEqual(r.pipeline.counters.snapshot(), { port: 2 });
  });
});
