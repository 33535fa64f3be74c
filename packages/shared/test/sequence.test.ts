import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  advanceSequence,
  CandidateIndex,
  DEFAULT_SEQUENCE,
  deriveSequence,
  type Knock,
  type Progress,
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

  test('a wrong port inside the range sends the source back to the start', () => {
    const r = run([
      [1, 0],
      [2, 100],
      [9, 200],
      [3, 300],
      [4, 400],
    ]);
    assert.deepEqual(r.outcomes, ['started', 'advanced', 'ignored(wrong-port)', 'ignored', 'ignored']);
    assert.equal(r.completed, undefined);
  });

  test('a wrong knock that is itself a first knock restarts from it', () => {
    const r = run([
      [1, 0],
      [2, 100],
      [1, 200],
      [2, 300],
      [3, 400],
      [4, 500],
    ]);
    assert.equal(r.outcomes[2], 'started(wrong-port)');
    assert.equal(r.completed, 'alice/ssh/1');
  });

  test('a gap longer than the timeout resets', () => {
    const r = run([
      [1, 0],
      [2, 100],
      [3, 5200],
      [4, 5300],
    ]);
    assert.deepEqual(r.outcomes, ['started', 'advanced', 'ignored(timeout)', 'ignored']);
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

  test('random knock streams never complete a sequence they did not contain (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 40 }), (ports) => {
        const r = run(ports.map((p, i) => [p, i * 10]));
        if (r.completed === 'alice/ssh/1') {
          const s = ports.join(',');
          assert.ok(s.includes('1,2,3,4') || /1,(2,)+3,(3,)*4/.test(s) || /1,2(,2)*,3(,3)*,4/.test(s), s);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
