import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTimestamp, ReplayWindow } from '../src/index.js';

const W = { maxPastMs: 30_000, maxFutureMs: 10_000 };

test('timestamps: past and future skew are separate', () => {
  assert.equal(checkTimestamp(1000, 31_000, W), 'ok');
  assert.equal(checkTimestamp(999, 31_000, W), 'stale');
  assert.equal(checkTimestamp(41_000, 31_000, W), 'ok');
  assert.equal(checkTimestamp(41_001, 31_000, W), 'future');
});

test('an id is accepted once', () => {
  const r = new ReplayWindow(W);
  assert.equal(r.accept('aa', 100_000, 100_000), 'ok');
  assert.equal(r.accept('aa', 100_000, 100_500), 'replay');
  assert.equal(r.accept('bb', 100_000, 100_500), 'ok');
  assert.equal(r.check('cc', 100_000, 100_500), 'ok');
  assert.equal(r.check('cc', 100_000, 100_500), 'ok', 'check does not remember');
});

test('memory is bounded by the window: old ids are dropped, and their replays are stale anyway', () => {
  const r = new ReplayWindow(W);
  for (let i = 0; i < 1000; i++) r.accept(`id${i}`, 100_000 + i, 100_000 + i);
  assert.equal(r.size, 1000);
  const now = 100_000 + 30_000 + 500;
  assert.equal(r.prune(now), 500);
  assert.equal(r.size, 500);
  assert.equal(r.accept('id0', 100_000, now), 'stale', 'a dropped id can never come back');
  assert.equal(r.accept('id999', 100_999, now), 'replay');
});

test('a hard capacity turns a flood of valid ids into busy, not unbounded memory', () => {
  const r = new ReplayWindow(W, 3);
  for (const id of ['a', 'b', 'c']) assert.equal(r.accept(id, 1000, 1000), 'ok');
  assert.equal(r.accept('d', 1000, 1000), 'busy');
  assert.equal(r.accept('e', 40_000, 40_000), 'ok', 'pruning frees room');
});
