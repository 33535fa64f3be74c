import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CapturedPacket } from '../../src/capture/frame.js';
import { OverlapDedupe } from '../../src/capture/overlap-dedupe.js';

const packet = (payload: number[], dstPort = 62201, srcAddress = '192.0.2.10'): CapturedPacket => ({
  family: 4,
  srcAddress,
  dstAddress: '198.51.100.1',
  protocol: 'udp',
  srcPort: 40000,
  dstPort,
  payload: new Uint8Array(payload),
});

test('the copy from another handle is a twin, once per handle', () => {
  const d = new OverlapDedupe<string>();
  assert.equal(d.isTwin('old', packet([1, 2, 3])), false);
  assert.equal(d.isTwin('new', packet([1, 2, 3])), true);
  assert.equal(d.isTwin('newer', packet([1, 2, 3])), true, 'a third overlapping handle');
  assert.equal(
    d.isTwin('new', packet([1, 2, 3])),
    false,
    'a second copy from the same handle is a new packet',
  );
});

test('a repeat from the same handle is not a twin, and its twin is matched separately', () => {
  const d = new OverlapDedupe<string>();
  assert.equal(d.isTwin('a', packet([7])), false);
  assert.equal(d.isTwin('a', packet([7])), false);
  assert.equal(d.isTwin('b', packet([7])), true);
  assert.equal(d.isTwin('b', packet([7])), true);
  assert.equal(d.isTwin('b', packet([7])), false);
});

test('any differing field or payload byte makes a different packet', () => {
  const d = new OverlapDedupe<string>();
  d.isTwin('a', packet([1, 2, 3]));
  assert.equal(d.isTwin('b', packet([1, 2, 4])), false);
  assert.equal(d.isTwin('b', packet([1, 2])), false);
  assert.equal(d.isTwin('b', packet([1, 2, 3], 62202)), false);
  assert.equal(d.isTwin('b', packet([1, 2, 3], 62201, '192.0.2.11')), false);
  assert.equal(d.isTwin('b', { ...packet([]), protocol: 'tcp' }), false);
});

test('bounded memory; clear() ends the overlap', () => {
  const d = new OverlapDedupe<string>(4);
  for (let i = 0; i < 10; i++) d.isTwin('a', packet([i]));
  assert.equal(d.size, 4);
  assert.equal(d.isTwin('b', packet([9])), false, 'not remembered beyond the bound');
  assert.equal(d.isTwin('b', packet([0])), true);
  d.clear();
  assert.equal(d.size, 0);
  assert.equal(d.isTwin('b', packet([1])), false);
});
