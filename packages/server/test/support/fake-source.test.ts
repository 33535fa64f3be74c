import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureError } from '../../src/capture/errors.js';
import type { CapturedPacket } from '../../src/capture/frame.js';
import type { CaptureReject, PacketSource } from '../../src/capture/packet-source.js';
import { ETHERTYPE, ethernet, ipv4, PROTO, sll, udp } from '../capture/_frames.js';
import { FakePacketSource } from './fake-source.js';

const packet: CapturedPacket = {
  family: 4,
  srcAddress: '192.0.2.10',
  dstAddress: '198.51.100.1',
  protocol: 'udp',
  srcPort: 40000,
  dstPort: 62201,
  payload: new Uint8Array([1, 2, 3]),
};

test('FakePacketSource delivers pushed packets and frames only while running', () => {
  let clock = 1000;
  const source: PacketSource & FakePacketSource = new FakePacketSource({ filter: 'udp', now: () => clock });
  const got: Array<[CapturedPacket, number]> = [];
  const rejects: CaptureReject[] = [];
  assert.equal(source.push(packet), false, 'not started yet');

  source.start(
    (p, at) => got.push([p, at]),
    (r) => rejects.push(r),
  );
  assert.equal(source.running, true);
  assert.equal(source.push(packet), true);
  clock = 2000;
  assert.equal(source.push(packet, 1500), true);

  const frame = ethernet(ETHERTYPE.IPV4, ipv4(udp(1, 62202, [9]), { protocol: PROTO.UDP }));
  assert.equal(source.pushFrame(frame).ok, true);
  assert.equal(
    source.pushFrame(
      sll(ETHERTYPE.IPV4, ipv4(udp(1, 62203, [8]), { protocol: PROTO.UDP })),
      'LINKTYPE_LINUX_SLL',
    ).ok,
    true,
  );
  assert.deepEqual(source.pushFrame(frame.subarray(0, 20)), { ok: false, reason: 'truncated' });
  source.reject('overload');

  assert.deepEqual(
    got.map(([p, at]) => [p.dstPort, at]),
    [
      [62201, 1000],
      [62201, 1500],
      [62202, 2000],
      [62203, 2000],
    ],
  );
  assert.deepEqual(rejects, ['truncated', 'overload']);
  assert.deepEqual(source.rejects, ['truncated', 'overload']);

  source.stop();
  assert.equal(source.running, false);
  assert.equal(source.push(packet), false);
  assert.equal(source.pushFrame(frame).ok, true, 'still parses, but does not deliver');
  assert.equal(got.length, 4);
});

test('FakePacketSource records filters and refuses a second start', () => {
  const source = new FakePacketSource();
  assert.equal(source.filter, undefined);
  source.setFilter('a');
  source.start(() => {});
  source.setFilter('b');
  assert.deepEqual(source.filters, ['a', 'b']);
  assert.equal(source.filter, 'b');
  assert.throws(
    () => source.start(() => {}),
    (e: unknown) => e instanceof CaptureError && e.code === 'capture-state',
  );
});
