// Issue 12, item 5: a replay store that is lost or damaged must not re-enable replays. Each
// way of damaging it, then the replay of a knock accepted before the damage, on the real store
// in a temporary state directory (the pipeline on fakes around it).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Knock } from '@spa/shared';
import { REPLAY_MARKER } from '../../src/replay/damage.js';
import { REPLAY_FILE, REPLAY_HEADER } from '../../src/replay/record.js';
import { granted, NOW, type Rig, rig } from '../pipeline/_harness.js';

const FUTURE_MS = 30_000; // the fixture's max future skew

function sendSequence(r: Rig, knocks: readonly Knock[], atMs: number, src?: string): number {
  let t = atMs;
  for (const k of knocks) {
    r.pipeline.handle(r.fixture.sequencePacket(k, src), t);
    t += 100;
  }
  return t;
}

/**
 * A daemon accepted two knocks, then died (no close: kill -9). `k` is the last one: the record
 * that the truncations and the corruption below damage.
 */
function acceptedThenKilled(): { a: Rig; k: Uint8Array; file: string } {
  const a = rig();
  a.pipeline.handle(a.fixture.udp(a.fixture.knock('alice', NOW), NOW), NOW);
  const k = a.fixture.knock('bob', NOW + 10);
  a.pipeline.handle(a.fixture.udp(k, NOW + 10), NOW + 10);
  assert.equal(a.pipeline.counters.get('grant'), 2);
  return { a, k, file: join(a.fixture.config.stateDir, REPLAY_FILE) };
}

const damages: Array<[string, (file: string) => void, string]> = [
  ['deleted', (file) => rmSync(file), 'missing'],
  ['truncated to nothing', (file) => truncateSync(file, 0), 'truncated'],
  [
    'truncated inside the last record',
    (file) => truncateSync(file, readFileSync(file).length - 7),
    'truncated',
  ],
  [
    'last record corrupted',
    (file) => {
      const text = readFileSync(file, 'latin1');
      const cut = text.lastIndexOf('\n', text.length - 2) + 1;
      writeFileSync(file, `${text.slice(0, cut)}k ${'z'.repeat(32)} 1\n`);
    },
    'unreadable',
  ],
  [
    'every record unreadable',
    (file) => writeFileSync(file, `${REPLAY_HEADER}\u0000\u0000\u0000\n\u0000\n`),
    'unreadable',
  ],
];

describe('a lost or damaged replay store: knocks stamped before start + max future skew are refused', () => {
  for (const [what, damage, kind] of damages) {
    it(`${what}: the replay is refused, warned about with the count, and a fresh knock opens`, async () => {
      const { a, k, file } = acceptedThenKilled();
      damage(file);
      const start = NOW + 2_000;
      const b = rig({ reuse: a.fixture, nowMs: start });
      assert.equal(b.store.loaded.damage, kind);
      assert.equal(b.store.knockFloorMs, start + FUTURE_MS);
      // The attacker's replay of the knock sniffed before the restart.
      b.pipeline.handle(b.fixture.udp(k, start + 100, { src: '203.0.113.66' }), start + 100);
      // The legit client knocks again at once: stamped before start + skew, refused too.
      b.pipeline.handle(b.fixture.udp(b.fixture.knock('alice', start + 200), start + 200), start + 200);
      await b.pipeline.idle();
      assert.equal(granted(b.firewall).length, 0, 'nothing granted before start + max future skew');
      assert.equal(b.pipeline.counters.get('forgotten'), 2, JSON.stringify(b.pipeline.counters.snapshot()));
      // Past start + skew, a fresh knock opens (and the attacker's copy stays stale/refused).
      const later = start + FUTURE_MS + 1;
      b.pipeline.handle(b.fixture.udp(b.fixture.knock('alice', later), later), later);
      b.pipeline.handle(b.fixture.udp(k, later, { src: '203.0.113.66' }), later);
      await b.pipeline.idle();
      assert.deepEqual(
        granted(b.firewall).map((g) => g.address),
        ['198.51.100.7'],
        'only the fresh knock from the client',
      );
    });
  }

  it('the daemon logs it at warn with the damage and the count of skipped records', async () => {
    const { a, file } = acceptedThenKilled();
    writeFileSync(file, `${readFileSync(file, 'latin1')}garbage\nmore garbage\nk 12`);
    const b = rig({ reuse: a.fixture, nowMs: NOW + 1000 });
    assert.deepEqual(
      { damage: b.store.loaded.damage, skipped: b.store.loaded.skipped, knocks: b.store.loaded.knocks },
      { damage: 'truncated', skipped: 3, knocks: 2 },
    );
  });

  it('the refusal survives a second restart (the floor is kept in the store)', async () => {
    const { a, k, file } = acceptedThenKilled();
    rmSync(file);
    const b = rig({ reuse: a.fixture, nowMs: NOW + 1000 });
    assert.equal(b.store.loaded.damage, 'missing');
    // b dies at once (kill -9) and a third start finds a whole store: the floor is still there.
    const c = rig({ reuse: a.fixture, nowMs: NOW + 2000 });
    assert.equal(c.store.loaded.damage, undefined);
    c.pipeline.handle(c.fixture.udp(k, NOW + 2100, { src: '203.0.113.66' }), NOW + 2100);
    await c.pipeline.idle();
    assert.equal(granted(c.firewall).length, 0);
    assert.equal(c.pipeline.counters.get('forgotten'), 1);
  });

  it('a first start (no store, no marker) is not a lost store: a knock opens at once', async () => {
    const r = rig();
    assert.equal(r.store.loaded.firstStart, true);
    assert.equal(r.store.loaded.damage, undefined);
    assert.ok(existsSync(join(r.fixture.config.stateDir, REPLAY_MARKER)), 'the marker is written');
    r.pipeline.handle(r.fixture.udp(r.fixture.knock('alice', NOW), NOW), NOW);
    await r.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
  });

  it('a kill -9 alone loses nothing: the store is whole and knocks open at once', async () => {
    const { a, k } = acceptedThenKilled();
    const b = rig({ reuse: a.fixture, nowMs: NOW + 1000 });
    assert.equal(b.store.loaded.damage, undefined);
    b.pipeline.handle(b.fixture.udp(k, NOW + 1100, { src: '203.0.113.66' }), NOW + 1100);
    b.pipeline.handle(b.fixture.udp(b.fixture.knock('alice', NOW + 1200), NOW + 1200), NOW + 1200);
    await b.pipeline.idle();
    assert.equal(b.pipeline.counters.get('replay'), 1);
    assert.equal(granted(b.firewall).length, 1, 'the fresh knock opens');
  });

  it('a burned sequence from before a lost store is refused; one of a later step opens', async () => {
    const a = rig();
    const seq = a.fixture.sequence('alice', 'ssh', NOW);
    sendSequence(a, seq, NOW);
    assert.equal(a.pipeline.counters.get('grant'), 1);
    rmSync(join(a.fixture.config.stateDir, REPLAY_FILE));
    const start = NOW + 1000;
    const b = rig({ reuse: a.fixture, nowMs: start });
    sendSequence(b, seq, start + 100, '203.0.113.50');
    await b.pipeline.idle();
    assert.equal(granted(b.firewall).length, 0);
    assert.equal(b.pipeline.counters.get('forgotten'), 1);
    // Sequences whose candidate steps all begin after the start are fine: two steps on.
    const later = start + 60_000;
    b.pipeline.roll(later);
    sendSequence(b, b.fixture.sequence('alice', 'ssh', later), later);
    await b.pipeline.idle();
    assert.equal(granted(b.firewall).length, 1);
  });
});
