// PcapSource checks that need no root: nothing is opened until start().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureError } from '../../src/capture/errors.js';
import { PcapSource, retainedCaptureHandles } from '../../src/capture/pcap-source.js';

const isCaptureError = (code: string) => (e: unknown) =>
  e instanceof CaptureError && e.code === code && e.hint !== '';

test('constructor rejects bad options with typed errors and opens nothing', () => {
  const before = retainedCaptureHandles();
  assert.throws(() => new PcapSource({ interfaces: [], filter: 'udp' }), isCaptureError('capture-open'));
  assert.throws(
    () => new PcapSource({ interfaces: ['lo'], filter: '' }),
    isCaptureError('capture-filter-input'),
  );
  assert.throws(
    () => new PcapSource({ interfaces: ['lo'], filter: '  \n' }),
    isCaptureError('capture-filter-input'),
  );
  for (const bufferBytes of [0, 1024, 1.5, -1, 2 ** 31, Number.NaN]) {
    assert.throws(
      () => new PcapSource({ interfaces: ['lo'], filter: 'udp', bufferBytes }),
      isCaptureError('capture-open'),
    );
  }
  assert.equal(retainedCaptureHandles(), before);
});

test('setFilter before start only changes the filter; stop before start is harmless', () => {
  const before = retainedCaptureHandles();
  const source = new PcapSource({ interfaces: ['lo', 'lo'], filter: 'udp' });
  source.setFilter('udp and dst port 1');
  assert.throws(() => source.setFilter(''), isCaptureError('capture-filter-input'));
  source.stop();
  source.stop();
  assert.throws(() => source.start(() => {}), isCaptureError('capture-state'));
  assert.equal(retainedCaptureHandles(), before);
});
