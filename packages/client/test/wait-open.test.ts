/** PortWatcher against a port that drops SYNs: many attempts in flight, no Node warning. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sleep } from '../src/system.js';
import { PortWatcher } from '../src/wait-open.js';

describe('PortWatcher', () => {
  test('overlapping attempts on a closed port add no more than a few listeners to any signal (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const signals = new Set<AbortSignal>();
    let inFlight = 0;
    let maxInFlight = 0;
    // A dropped SYN: the attempt ends only at its timeout or when aborted, like connectTcp.
    const probe = (_to: unknown, timeoutMs: number, signal?: AbortSignal) =>
      new Promise<boolean>((resolve) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (signal) signals.add(signal);
        const done = () => {
          inFlight--;
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve(false);
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener('abort', done, { once: true });
      });
    const w = new PortWatcher(
      { address: '127.0.0.1', port: 9, family: 4 },
      { probe, sleep },
      () => performance.now(),
      { intervalMs: 50, timeoutMs: 400 },
    );
    const opened = await w.until(performance.now() + 300);
    w.close();
    await sleep(20);
    process.off('warning', onWarning);
    assert.equal(opened, false);
    assert.ok(maxInFlight > 10, `attempts overlapped: ${maxInFlight}`);
    assert.equal(inFlight, 0, 'close() aborted every attempt in flight');
    assert.deepEqual(
      warnings.map((x) => x.name),
      [],
    );
  });
});
