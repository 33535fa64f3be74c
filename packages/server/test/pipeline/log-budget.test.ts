import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogBudget } from '../../src/pipeline/log-budget.js';

describe('LogBudget', () => {
  it('allows perSecond lines a second and hands back the count left out when the next second starts', () => {
    const budget = new LogBudget(2);
    const reported: number[] = [];
    const take = (ms: number) => budget.take(ms, (n) => reported.push(n));
    assert.deepEqual([take(1000), take(1100), take(1200), take(1999)], [true, true, false, false]);
    assert.deepEqual(reported, []);
    assert.equal(take(2000), true);
    assert.deepEqual(reported, [2]);
    assert.equal(take(3500), true);
    assert.deepEqual(reported, [2], 'nothing was left out in the second before');
  });
});
