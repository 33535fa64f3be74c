// PcapSource checks that need no root: nothing is opened until start().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureError } from '../../src/capture/errors.js';
import { CAPTURE_SNAPLEN, PcapSource } from '../../src/capture/pcap-source.js';

const isCaptureError = (code: string) => (e: unknown) =>
  e instanceof CaptureError && e.code === code && e.hint !== '';

test('constructor rejects bad options with typed errors and opens nothing', () => {
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
      () => new PcapSource({ interfaces: ['lo'], filter: 'udp', testSeams: { bufferBytes } }),
      isCaptureError('capture-open'),
    );
  }
  for (const snaplen of [0, -1, 1.5, 262_145]) {
    assert.throws(
      () => new PcapSource({ interfaces: ['lo'], filter: 'udp', testSeams: { snaplen } }),
      isCaptureError('capture-open'),
    );
  }
  for (const maxPerDispatch of [0, 2.5, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => new PcapSource({ interfaces: ['lo'], filter: 'udp', testSeams: { maxPerDispatch } }),
      isCaptureError('capture-open'),
    );
  }
});

test('setFilter before start only changes the filter; stop before start is harmless', () => {
  const source = new PcapSource({ interfaces: ['lo', 'lo'], filter: 'udp' });
  source.setFilter('udp and dst port 1');
  assert.throws(() => source.setFilter(''), isCaptureError('capture-filter-input'));
  source.stop();
  source.stop();
  assert.throws(() => source.start(() => {}), isCaptureError('capture-state'));
  assert.equal(source.handlesOpened, 0);
});

test('the snaplen holds the largest accepted knock, not 65535', () => {
  // Ethernet + 2 VLAN tags (22) + IPv6 with 256 bytes of extension headers (296) + UDP (8)
  // + the largest fwknop packet (1500; a native knock is 336).
  assert.equal(CAPTURE_SNAPLEN, 22 + 296 + 8 + 1500);
});
