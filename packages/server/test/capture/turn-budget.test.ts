import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOCK_EVERY, TurnBudget } from '../../src/capture/turn-budget.js';

function harness(maxPackets: number, maxMs: number) {
  let now = 0;
  const pending: Array<() => void> = [];
  const budget = new TurnBudget({ maxPackets, maxMs, clock: () => now, nextTurn: (fn) => pending.push(fn) });
  return {
    budget,
    advance: (ms: number) => {
      now += ms;
    },
    turn: () => {
      for (const fn of pending.splice(0)) fn();
    },
    scheduled: () => pending.length,
  };
}

const admitted = (budget: TurnBudget, n: number) => {
  let ok = 0;
  for (let i = 0; i < n; i++) if (budget.admit()) ok++;
  return ok;
};

test('admits maxPackets per turn, sheds the rest until the next turn', () => {
  const h = harness(10, 1e9);
  assert.equal(admitted(h.budget, 50), 10);
  assert.equal(h.scheduled(), 1, 'one reset per turn');
  h.turn();
  assert.equal(admitted(h.budget, 5), 5);
  h.turn();
  assert.equal(admitted(h.budget, 50), 10);
});

test('sheds once a turn has spent maxMs (clock read every CLOCK_EVERY packets)', () => {
  const h = harness(1_000_000, 5);
  let ok = 0;
  for (let i = 0; i < 100; i++) {
    if (h.budget.admit()) ok++;
    h.advance(1); // 1 ms per packet
  }
  assert.equal(ok, CLOCK_EVERY, 'the first clock read after 5 ms trips the budget');
  h.turn();
  assert.equal(h.budget.admit(), true);
});

test('no turn scheduled while idle', () => {
  const h = harness(10, 10);
  assert.equal(h.scheduled(), 0);
  h.budget.admit();
  h.budget.admit();
  assert.equal(h.scheduled(), 1);
  h.turn();
  assert.equal(h.scheduled(), 0);
});

test('default scheduling uses setImmediate (a real event-loop turn)', async () => {
  const budget = new TurnBudget({ maxPackets: 2, maxMs: 1e9 });
  assert.equal(admitted(budget, 5), 2);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(admitted(budget, 5), 2);
});
