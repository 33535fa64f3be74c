import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  advanceSequence,
  CandidateIndex,
  DEFAULT_SEQUENCE,
  deriveSequence,
  type Knock,
  MAX_TRACKS,
  type Progress,
  SEQUENCE_MAX_NOISE,
  type SequenceCandidate,
} from '../src/index.js';
import { clientKeys } from './helpers.js';

describe('deriveSequence', () => {
  test('N distinct ports in range, deterministic, different per step and service', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 16 }), (step, length) => {
        const spec = { ...DEFAULT_SEQUENCE, length };
        const s = deriveSequence(clientKeys.sequence, step, 'ssh', spec);
        assert.equal(s.length, length);
        assert.equal(new Set(s.map((k) => k.port)).size, length);
        for (const k of s) assert.ok(k.port >= 50000 && k.port <= 59999 && k.protocol === 'tcp');
        assert.deepEqual(deriveSequence(clientKeys.sequence, step, 'ssh', spec), s);
      }),
      { numRuns: 300 },
    );
    const a = deriveSequence(clientKeys.sequence, 1, 'ssh', DEFAULT_SEQUENCE);
    assert.notDeepEqual(deriveSequence(clientKeys.sequence, 2, 'ssh', DEFAULT_SEQUENCE), a);
    assert.notDeepEqual(deriveSequence(clientKeys.sequence, 1, 'web', DEFAULT_SEQUENCE), a);
  });

  test('mixed mode draws the protocol of each knock from the HMAC stream', () => {
    const spec = { ...DEFAULT_SEQUENCE, protocol: 'mixed' as const };
    const protos = new Set<string>();
    for (let step = 0; step < 50; step++) {
      for (const k of deriveSequence(clientKeys.sequence, step, 'ssh', spec)) protos.add(k.protocol);
    }
    assert.deepEqual([...protos].sort(), ['tcp', 'udp']);
    const udp = deriveSequence(clientKeys.sequence, 3, 'ssh', { ...DEFAULT_SEQUENCE, protocol: 'udp' });
    assert.ok(udp.every((k) => k.protocol === 'udp'));
  });

  test('refuses specs that cannot work', () => {
    assert.throws(() => deriveSequence(clientKeys.sequence, 1, 'ssh', { ...DEFAULT_SEQUENCE, length: 0 }));
    assert.throws(() =>
      deriveSequence(clientKeys.sequence, 1, 'ssh', { ...DEFAULT_SEQUENCE, range: [1000, 1010] }),
    );
    assert.throws(() => deriveSequence(clientKeys.sequence, 1, 'SSH', DEFAULT_SEQUENCE));
  });
});

describe('advanceSequence (one source)', () => {
  const t = (port: number): Knock => ({ protocol: 'tcp', port });
  const A: SequenceCandidate = { id: 'alice/ssh/1', knocks: [t(1), t(2), t(3), t(4)] };
  const B: SequenceCandidate = { id: 'bob/ssh/1', knocks: [t(1), t(5), t(6), t(7)] };
  const index = new CandidateIndex([A, B]);
  const rules = (burned = new Set<string>()) => ({
    gapTimeoutMs: 5000,
    isBurned: (id: string) => burned.has(id),
  });

  function run(knocks: Array<[number, number]>, burned = new Set<string>()) {
    let p: Progress | undefined;
    const outcomes: string[] = [];
    let completed: string | undefined;
    for (const [port, at] of knocks) {
      const r = advanceSequence(p, t(port), at, index, rules(burned));
      p = r.next;
      outcomes.push(r.reset ? `${r.outcome}(${r.reset})` : r.outcome);
      if (r.completed) completed = r.completed.id;
    }
    return { outcomes, completed, progress: p };
  }

  test('the right sequence completes', () => {
    const r = run([
      [1, 0],
      [2, 100],
      [3, 200],
      [4, 300],
    ]);
    assert.deepEqual(r.outcomes, ['started', 'advanced', 'advanced', 'complete']);
    assert.equal(r.completed, 'alice/ssh/1');
    assert.equal(r.progress, undefined);
  });

  test('a shared first knock keeps both candidates until they part', () => {
    const r = run([
      [1, 0],
      [5, 100],
      [6, 200],
      [7, 300],
    ]);
    assert.equal(r.completed, 'bob/ssh/1');
  });

  test('a wrong port inside the range is noise: not progress, and no reset', () => {
    const r = run([
      [1, 0],
      [2, 100],
      [9, 150],
      [8, 180],
      [3, 300],
      [9, 350],
      [4, 400],
    ]);
    assert.deepEqual(r.outcomes, ['started', 'advanced', 'noise', 'noise', 'advanced', 'noise', 'complete']);
    assert.equal(r.completed, 'alice/ssh/1');
  });

  test('a wrong port is never progress: a sequence with a wrong knock in place of a right one does not complete', () => {
    const r = run([
      [1, 0],
      [2, 100],
      [9, 200],
      [4, 300],
    ]);
    assert.deepEqual(r.outcomes, ['started', 'advanced', 'noise', 'noise']);
    assert.equal(r.completed, undefined);
  });

  test('more wrong knocks than SEQUENCE_MAX_NOISE between two right ones drop the track', () => {
    const noise = Array.from({ length: SEQUENCE_MAX_NOISE }, (_, i): [number, number] => [9, 101 + i]);
    const ok = run([[1, 0], [2, 100], ...noise, [3, 200], [4, 300]]);
    assert.equal(ok.completed, 'alice/ssh/1', 'exactly the budget is tolerated');
    const over = run([[1, 0], [2, 100], ...noise, [9, 199], [3, 200], [4, 300]]);
    assert.equal(over.completed, undefined);
    assert.equal(over.outcomes[SEQUENCE_MAX_NOISE + 2], 'ignored(noise)');
    // The budget is per gap between right knocks, not per sequence.
    const spread = run([
      [1, 0],
      [2, 100],
      ...noise,
      [3, 200],
      ...noise.map(([p, at]): [number, number] => [p, at + 100]),
      [4, 300],
    ]);
    assert.equal(spread.completed, 'alice/ssh/1');
  });

  test('a first knock while another sequence is in progress starts a track beside it', () => {
    // The client gave up on a sequence half-way and starts again: the new one completes.
    const again = run([
      [1, 0],
      [2, 100],
      [1, 200],
      [2, 300],
      [3, 400],
      [4, 500],
    ]);
    assert.equal(again.outcomes[2], 'started');
    assert.equal(again.completed, 'alice/ssh/1');
    // And the one in progress is not lost by a first knock of another candidate.
    const C: SequenceCandidate = { id: 'carol/ssh/1', knocks: [t(8), t(11), t(12), t(13)] };
    const both = new CandidateIndex([A, B, C]);
    let p: Progress | undefined;
    let done: string | undefined;
    for (const [port, at] of [
      [1, 0],
      [2, 100],
      [8, 150],
      [3, 200],
      [4, 300],
    ] as const) {
      const r = advanceSequence(p, t(port), at, both, rules());
      p = r.next;
      done ??= r.completed?.id;
    }
    assert.equal(done, 'alice/ssh/1');
  });

  test('a source holds at most MAX_TRACKS tracks, the most advanced kept', () => {
    const firsts = Array.from(
      { length: MAX_TRACKS + 3 },
      (_, i): SequenceCandidate => ({
        id: `x/${i}`,
        knocks: [t(100 + i), t(200 + i)],
      }),
    );
    const idx = new CandidateIndex([A, ...firsts]);
    let p = advanceSequence(undefined, t(1), 0, idx, rules()).next;
    p = advanceSequence(p, t(2), 10, idx, rules()).next;
    for (let i = 0; i < firsts.length; i++) p = advanceSequence(p, t(100 + i), 20 + i, idx, rules()).next;
    assert.equal(p?.tracks.length, MAX_TRACKS);
    assert.equal(p?.tracks[0]?.matched, 2, 'the advanced track is kept');
  });

  test('a gap longer than the timeout resets', () => {
    const r = run([
      [1, 0],
      [2, 100],
      [3, 5200],
      [4, 5300],
    ]);
    assert.deepEqual(r.outcomes, ['started', 'advanced', 'ignored(timeout)', 'ignored']);
    assert.equal(r.progress, undefined);
    assert.equal(r.completed, undefined);
  });

  test('a repeated knock (SYN retransmission) changes nothing', () => {
    const r = run([
      [1, 0],
      [2, 100],
      [2, 900],
      [3, 1000],
      [4, 1100],
    ]);
    assert.equal(r.outcomes[2], 'retransmit');
    assert.equal(r.completed, 'alice/ssh/1');
  });

  test('a burned sequence never works again', () => {
    const burned = new Set(['alice/ssh/1']);
    const r = run(
      [
        [1, 0],
        [2, 100],
        [3, 200],
        [4, 300],
      ],
      burned,
    );
    assert.equal(r.completed, undefined);
    // Burned mid-way: the source cannot finish it.
    const late = new Set<string>();
    let p: Progress | undefined;
    for (const [port, at] of [
      [1, 0],
      [2, 100],
    ] as const)
      p = advanceSequence(p, t(port), at, index, rules(late)).next;
    late.add('alice/ssh/1');
    const r3 = advanceSequence(p, t(3), 200, index, rules(late));
    assert.notEqual(r3.outcome, 'complete');
  });

  test('random knock streams never complete a sequence they did not contain in order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 40 }), (ports) => {
        const r = run(ports.map((p, i) => [p, i * 10]));
        if (r.completed === 'alice/ssh/1') {
          // 1, 2, 3, 4 in this order, with anything between (noise, retransmits, restarts).
          let next = 1;
          for (const p of ports) if (next <= 4 && p === next) next++;
          assert.ok(next === 5, ports.join(','));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
