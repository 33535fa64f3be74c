import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseRecords, REPLAY_FILE, sequenceLine } from '../../src/replay/record.js';
import { ReplayStore } from '../../src/replay/replay-store.js';

const W = { maxPastMs: 30_000, maxFutureMs: 30_000 };
const NOW = 1_700_000_000_000;
const id = (n: number) => n.toString(16).padStart(32, '0');

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'spa-replay-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ReplayStore', () => {
  it('rejects an id it recorded, and keeps it across a clean restart', () => {
    const dir = stateDir();
    const a = ReplayStore.open(dir, W, NOW);
    assert.equal(a.check(id(1), NOW, NOW), 'ok');
    a.record(id(1), NOW);
    assert.equal(a.check(id(1), NOW, NOW), 'replay');
    a.close();
    const b = ReplayStore.open(dir, W, NOW + 1000);
    assert.equal(b.check(id(1), NOW, NOW + 1000), 'replay');
    assert.equal(b.loaded.knocks, 1);
    b.close();
  });

  it('keeps ids across a simulated kill -9 (no close, a second store on the same directory)', () => {
    const dir = stateDir();
    const a = ReplayStore.open(dir, W, NOW);
    a.record(id(2), NOW);
    a.burn('alice/ssh/56666666', NOW + 60_000);
    // `a` is dropped without close(): its fd still open, as after a crash the kernel has the data.
    const b = ReplayStore.open(dir, W, NOW + 5);
    assert.equal(b.check(id(2), NOW, NOW + 5), 'replay');
    assert.equal(b.isBurned('alice/ssh/56666666'), true);
    b.close();
  });

  it('every sync mode writes the record before returning; deferred syncs in the background', async () => {
    for (const sync of ['deferred', 'data', 'none'] as const) {
      const dir = stateDir();
      const a = ReplayStore.open(dir, W, NOW, { sync });
      for (let i = 0; i < 50; i++) a.record(id(100 + i), NOW);
      // On disk (page cache) at once, whatever the mode: what survives kill -9.
      const ids = parseRecords(readFileSync(join(dir, REPLAY_FILE), 'utf8')).records;
      assert.equal(ids.length, 50, sync);
      // Background syncs finish (or are cut short by close) without an error.
      await new Promise((r) => setTimeout(r, 20));
      a.record(id(200), NOW);
      a.close();
      const b = ReplayStore.open(dir, W, NOW + 10);
      assert.equal(b.check(id(200), NOW, NOW + 10), 'replay', sync);
      b.close();
    }
  });

  it('loads only entries still inside the window', () => {
    const dir = stateDir();
    const a = ReplayStore.open(dir, W, NOW);
    a.record(id(3), NOW - 29_000);
    a.record(id(4), NOW);
    a.burn('x', NOW + 10_000);
    a.close();
    const b = ReplayStore.open(dir, W, NOW + 2_000);
    assert.deepEqual(b.loaded, { knocks: 1, sequences: 1, skipped: 0, expired: 1 });
    assert.equal(b.check(id(3), NOW - 29_000, NOW + 2_000), 'stale');
    b.close();
    const c = ReplayStore.open(dir, W, NOW + 20_000);
    assert.equal(c.isBurned('x'), false);
    c.close();
  });

  it('skips corrupt lines and a torn tail, and repairs the file', () => {
    const dir = stateDir();
    const file = join(dir, REPLAY_FILE);
    writeFileSync(
      file,
      [
        '# spa replay v1',
        `k ${id(5)} ${NOW}`,
        'garbage line',
        `k ${id(6).slice(0, 20)} ${NOW}`, // short id
        `k ${id(7)} ${NOW}x`,
        '\u0000\u0000\u0000',
        sequenceLine('alice/ssh/1', NOW + 50_000).trimEnd(),
        `k ${id(8)} ${NOW}`, // whole line
      ].join('\n') + `\nk ${id(9)} 17`, // torn tail: no newline
    );
    const s = ReplayStore.open(dir, W, NOW);
    assert.equal(s.loaded.knocks, 2);
    assert.equal(s.loaded.sequences, 1);
    assert.equal(s.loaded.skipped, 5);
    assert.equal(s.check(id(5), NOW, NOW), 'replay');
    assert.equal(s.check(id(8), NOW, NOW), 'replay');
    // Damaged: a knock stamped before now + max future skew may have been lost (id 9 was cut).
    assert.equal(s.loaded.damage, 'truncated');
    assert.equal(s.check(id(9), NOW, NOW), 'forgotten');
    assert.equal(s.check(id(9), NOW + W.maxFutureMs, NOW + 1), 'ok');
    // Compacted at open: only whole records remain, and new appends start on a fresh line.
    s.record(id(10), NOW);
    const parsed = parseRecords(readFileSync(file, 'latin1'));
    assert.equal(parsed.skipped, 0);
    assert.deepEqual(
      parsed.records.map((r) => r.kind),
      ['knock-floor', 'sequence-floor', 'knock', 'knock', 'sequence', 'knock'],
      'the floors are kept too',
    );
    s.close();
  });

  it('a torn tail after the last record does not hide the records before it', () => {
    const dir = stateDir();
    const a = ReplayStore.open(dir, W, NOW);
    a.record(id(11), NOW);
    appendFileSync(join(dir, REPLAY_FILE), `k ${id(12)}`);
    const b = ReplayStore.open(dir, W, NOW);
    assert.equal(b.check(id(11), NOW, NOW), 'replay');
    assert.equal(b.loaded.skipped, 1);
    b.close();
  });

  it('compacts when most of the log is dead', () => {
    const dir = stateDir();
    let mono = 0;
    const s = ReplayStore.open(dir, W, NOW, { sync: 'none', monotonic: () => mono });
    for (let i = 0; i < 1100; i++) s.record(id(1000 + i), NOW);
    assert.equal(s.compactIfWorthIt(NOW), false, 'all live: nothing to gain');
    mono = 40_000;
    assert.equal(s.compactIfWorthIt(NOW + 40_000), false, 'out of the window, but held (monotonic)');
    mono = 60_000;
    s.record(id(5000), NOW + 40_000);
    assert.equal(s.compactIfWorthIt(NOW + 40_000), true);
    assert.equal(s.size, 1);
    const parsed = parseRecords(readFileSync(join(dir, REPLAY_FILE), 'latin1'));
    assert.deepEqual(
      parsed.records.map((r) => r.kind),
      ['knock-floor', 'knock'],
    );
    s.close();
  });

  it('answers busy when full, and stale/future outside the window', () => {
    const s = ReplayStore.open(stateDir(), W, NOW, { testSeams: { capacity: 1 } });
    s.record(id(20), NOW);
    assert.equal(s.check(id(21), NOW, NOW), 'busy');
    assert.equal(s.check(id(21), NOW - 31_000, NOW), 'stale');
    assert.equal(s.check(id(21), NOW + 31_000, NOW), 'future');
    s.close();
  });

  it('throws on a write after close (the pipeline then refuses the knock)', () => {
    const s = ReplayStore.open(stateDir(), W, NOW);
    s.close();
    assert.throws(() => s.record(id(30), NOW));
    assert.equal(s.check(id(30), NOW, NOW), 'ok', 'nothing was remembered');
  });

  it('keeps sequence ids with any characters intact', () => {
    const dir = stateDir();
    const a = ReplayStore.open(dir, W, NOW);
    a.burn('ünï cødé/ssh 1/2', NOW + 60_000);
    const b = ReplayStore.open(dir, W, NOW);
    assert.equal(b.isBurned('ünï cødé/ssh 1/2'), true);
    b.close();
    a.close();
  });
});
