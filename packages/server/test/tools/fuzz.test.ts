import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verdict } from '../../tools/fuzz/fuzz.js';
import { runFuzz } from '../../tools/fuzz/run.js';

describe('fuzz: frames through the parser and the pipeline', () => {
  it('20,000 random and mutated frames: no crash, no grant, every control granted', () => {
    const r = runFuzz({ frames: 20_000, seed: 'unit-test' });
    assert.deepEqual(r.findings, []);
    assert.equal(r.crashes, 0);
    assert.equal(r.grants, 0);
    assert.ok(r.controls > 100, `${r.controls} controls`);
    assert.equal(r.controlsGranted, r.controls);
    assert.equal(verdict(r), true);
    // The mutations reach deep: past the parser into the MAC check, and into the replay check.
    assert.ok((r.counters.mac ?? 0) > 1000);
    assert.ok((r.counters.replay ?? 0) > 100);
    assert.ok((r.counters['capture:truncated'] ?? 0) > 100);
  });

  it('is deterministic for a seed', () => {
    const a = runFuzz({ frames: 3000, seed: 'same' });
    const b = runFuzz({ frames: 3000, seed: 'same' });
    assert.deepEqual(a.counters, b.counters);
    assert.deepEqual(a.bySource, b.bySource);
  });
});
