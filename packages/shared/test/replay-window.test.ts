import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTimestamp, ReplayWindow } from '../src/index.js';

const W = { maxPastMs: 30_000, maxFutureMs: 10_000 };
const HOLD = 40_000;

test('timestamps: past and future skew are separate', () => {
  assert.equal(checkTimestamp(1000, 31_000, W), 'ok');
  assert.equal(checkTimestamp(999, 31_000, W), 'stale');
  assert.equal(checkTimestamp(41_000, 31_000, W), 'ok');
  assert.equal(checkTimestamp(41_001, 31_000, W), 'future');
});

test('an id is accepted once', () => {
  const r = new ReplayWindow(W);
  assert.equal(r.accept('aa', 100_000, 100_000, 0), 'ok');
  assert.equal(r.accept('aa', 100_000, 100_500, 500), 'replay');
  assert.equal(r.accept('bb', 100_000, 100_500, 500), 'ok');
  assert.equal(r.check('cc', 100_000, 100_500, 500), 'ok');
  assert.equal(r.check('cc', 100_000, 100_500, 500), 'ok', 'check does not remember');
});

test('memory is bounded by the window: old ids are dropped, and their replays are stale anyway', () => {
  const r = new ReplayWindow(W);
  for (let i = 0; i < 1000; i++) r.accept(`id${i}`, 100_000 + i, 100_000 + i, i);
  assert.equal(r.size, 1000);
  const now = 100_000 + 30_000 + 500;
  assert.equal(r.prune(now, HOLD + 499), 500, 'ids 0..499 have been held long enough');
  assert.equal(r.size, 500);
  assert.equal(r.accept('id0', 100_000, now, now - 100_000), 'stale', 'a dropped id can never come back');
  assert.equal(r.accept('id999', 100_999, now, now - 100_000), 'replay');
});

test('a wall clock stepped far ahead does not drop an id before its monotonic hold', () => {
  const r = new ReplayWindow(W);
  r.accept('aa', 100_000, 100_000, 0);
  assert.equal(r.prune(100_000 + 86_400_000, HOLD - 1), 0, 'the wall says stale, the hold says keep');
  assert.equal(r.accept('aa', 100_000, 100_500, HOLD - 1), 'replay', 'clock back: still a replay');
  assert.equal(r.prune(100_000 + 86_400_000, HOLD), 1);
});

test('an id past its hold but fresh by the wall clock (the clock was set back) is kept', () => {
  const r = new ReplayWindow(W);
  r.accept('aa', 100_000, 100_000, 0);
  assert.equal(r.prune(100_000, 10 * HOLD), 0);
  assert.equal(r.accept('aa', 100_000, 100_000, 10 * HOLD), 'replay');
});

test('a forgotten id raises the floor: a step back past the window cannot make its replay fresh', () => {
  const r = new ReplayWindow(W);
  r.accept('aa', 100_000, 100_000, 0);
  r.accept('bb', 100_010, 100_010, 10);
  assert.equal(r.prune(200_000, 100_000), 2);
  assert.equal(r.floorMs, 100_011);
  // The wall clock goes back 100 s: both would be fresh by time alone.
  assert.equal(r.check('aa', 100_000, 100_020, 100_020), 'forgotten');
  assert.equal(r.check('bb', 100_010, 100_020, 100_020), 'forgotten');
  assert.equal(r.check('cc', 100_011, 100_020, 100_020), 'ok', 'a later stamp is not refused');
  // With a clock that only moves forward the floor is behind the window: it refuses nothing new.
  assert.equal(r.check('dd', 200_000, 200_000, 100_000), 'ok');
});

test('raiseFloor only raises; stale and future are told before the floor', () => {
  const r = new ReplayWindow(W);
  r.raiseFloor(150_000);
  r.raiseFloor(120_000);
  assert.equal(r.floorMs, 150_000);
  assert.equal(r.check('aa', 149_999, 150_000, 0), 'forgotten');
  assert.equal(r.check('aa', 100_000, 150_000, 0), 'stale');
  assert.equal(r.check('aa', 150_000, 150_000, 0), 'ok');
});

test('a hard capacity turns a flood of valid ids into busy, not unbounded memory', () => {
  const r = new ReplayWindow(W, 3);
  for (const id of ['a', 'b', 'c']) assert.equal(r.accept(id, 1000, 1000, 0), 'ok');
  assert.equal(r.accept('d', 1000, 1000, 0), 'busy');
  assert.equal(r.accept('e', 50_000, 50_000, HOLD), 'ok', 'pruning frees room');
});
