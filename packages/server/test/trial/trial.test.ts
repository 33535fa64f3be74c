import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatTrialRequest, parseTrialRequest } from '../../src/trial/request-file.js';
import {
  checkTrialPorts,
  guardWithTrial,
  TRIAL_KERNEL_MARGIN_SECONDS,
  Trial,
  TrialError,
} from '../../src/trial/trial.js';

const T0 = 1_700_000_000_000;
const SSH = { protocol: 'tcp', port: 22 } as const;
const WEB = { protocol: 'tcp', port: 80 } as const;
const DNS = { protocol: 'udp', port: 53 } as const;
const ALICE = '192.0.2.2';

const grant = (address: string, port: number, atMs: number, protocol: 'tcp' | 'udp' = 'tcp') => ({
  address,
  protocol,
  port,
  atMs,
});

describe('Trial: the state machine', () => {
  test('a grant then a SYN+ACK from that port to that address confirms', () => {
    const t = new Trial([SSH, WEB, DNS], T0, 120);
    assert.equal(t.state, 'pending');
    assert.deepEqual(t.tcpPorts, [22, 80]);
    t.noteGrant(grant(ALICE, 22, T0 + 1000));
    assert.equal(t.tick(T0 + 60_000), undefined, 'not yet due');
    assert.deepEqual(t.noteSynAck({ srcPort: 22, dstAddress: ALICE, atMs: T0 + 1010 }), {
      state: 'confirmed',
      address: ALICE,
      port: 22,
      atMs: T0 + 1010,
    });
    assert.equal(t.state, 'confirmed');
    assert.equal(t.tick(T0 + 200_000), undefined, 'a confirmed trial never rolls back');
    assert.equal(
      t.noteSynAck({ srcPort: 22, dstAddress: ALICE, atMs: T0 + 2000 }),
      undefined,
      'settled once',
    );
  });

  test('no knock: rolled back at the deadline, reason no-knock', () => {
    const t = new Trial([SSH], T0, 5);
    assert.equal(t.tick(T0 + 4999), undefined);
    assert.deepEqual(t.tick(T0 + 5000), { state: 'rolled-back', reason: 'no-knock', granted: [] });
    assert.equal(t.state, 'rolled-back');
    assert.equal(t.tick(T0 + 6000), undefined, 'settled once');
    t.noteGrant(grant(ALICE, 22, T0 + 6000));
    assert.equal(t.noteSynAck({ srcPort: 22, dstAddress: ALICE, atMs: T0 + 6001 }), undefined);
  });

  test('a knock without a new connection: reason no-connection, with the granted address', () => {
    const t = new Trial([SSH], T0, 5);
    t.noteGrant(grant(ALICE, 22, T0 + 100));
    assert.deepEqual(t.tick(T0 + 5000), { state: 'rolled-back', reason: 'no-connection', granted: [ALICE] });
  });

  test('what does not confirm: no grant first, another address, another port, a non-trial port, UDP, late', () => {
    const t = new Trial([SSH, WEB, DNS], T0, 10);
    assert.equal(
      t.noteSynAck({ srcPort: 22, dstAddress: ALICE, atMs: T0 + 1 }),
      undefined,
      'SYN+ACK before any grant',
    );
    t.noteGrant(grant(ALICE, 22, T0 + 100));
    t.noteGrant(grant(ALICE, 53, T0 + 100, 'udp'));
    t.noteGrant(grant(ALICE, 443, T0 + 100));
    t.noteGrant(grant('192.0.2.9', 80, T0 + 100));
    assert.equal(
      t.noteSynAck({ srcPort: 22, dstAddress: '192.0.2.3', atMs: T0 + 200 }),
      undefined,
      'other address',
    );
    assert.equal(
      t.noteSynAck({ srcPort: 80, dstAddress: ALICE, atMs: T0 + 200 }),
      undefined,
      'port not granted to it',
    );
    assert.equal(
      t.noteSynAck({ srcPort: 443, dstAddress: ALICE, atMs: T0 + 200 }),
      undefined,
      'not a trial port',
    );
    assert.equal(t.noteSynAck({ srcPort: 53, dstAddress: ALICE, atMs: T0 + 200 }), undefined, 'UDP grant');
    assert.equal(t.noteSynAck({ srcPort: 22, dstAddress: ALICE, atMs: T0 + 10_001 }), undefined, 'too late');
    assert.equal(t.state, 'pending');
    assert.equal(t.tick(T0 + 10_001)?.state, 'rolled-back');
  });

  test('a grant after the deadline does not count', () => {
    const t = new Trial([SSH], T0, 1);
    t.noteGrant(grant(ALICE, 22, T0 + 1001));
    assert.deepEqual(t.tick(T0 + 1001), { state: 'rolled-back', reason: 'no-knock', granted: [] });
  });

  test('IPv6: the addresses are compared as given (both canonical)', () => {
    const t = new Trial([SSH], T0, 10);
    t.noteGrant(grant('2001:db8::2', 22, T0));
    assert.equal(t.noteSynAck({ srcPort: 22, dstAddress: '2001:db8::2', atMs: T0 + 5 })?.state, 'confirmed');
  });

  test('extend adds ports and keeps the later deadline; keepOnly drops unconfigured ports', () => {
    const t = new Trial([SSH], T0, 10);
    t.extend([WEB], T0 + 5000);
    assert.equal(t.deadlineMs, T0 + 10_000);
    t.extend([DNS], T0 + 30_000);
    assert.equal(t.deadlineMs, T0 + 30_000);
    assert.deepEqual(t.ports, [SSH, DNS, WEB]);
    assert.equal(
      t.keepOnly((p) => p.port !== 22),
      true,
    );
    assert.deepEqual(t.tcpPorts, [80]);
    assert.equal(
      t.keepOnly(() => false),
      false,
    );
    assert.equal(t.secondsLeft(T0 + 29_500), 1);
    assert.equal(t.secondsLeft(T0 + 40_000), 0);
  });
});

describe('guardWithTrial: what Firewall.start gets', () => {
  test('trial ports carry time left + margin; unguarded ports are left out; settled trials add nothing', () => {
    const t = new Trial([SSH], T0, 120);
    const configured = [SSH, WEB, DNS];
    assert.deepEqual(guardWithTrial(configured, new Set(), t, T0 + 20_000), [
      { ...SSH, trialSeconds: 100 + TRIAL_KERNEL_MARGIN_SECONDS },
      WEB,
      DNS,
    ]);
    assert.deepEqual(guardWithTrial(configured, new Set(['udp/53']), undefined, T0), [SSH, WEB]);
    t.noteGrant(grant(ALICE, 22, T0));
    t.noteSynAck({ srcPort: 22, dstAddress: ALICE, atMs: T0 + 1 });
    assert.deepEqual(
      guardWithTrial(configured, new Set(), t, T0 + 2),
      [SSH, WEB, DNS],
      'confirmed: permanent',
    );
  });
});

describe('trial checks and the reload request file', () => {
  test('no TCP port: refused with a hint', () => {
    assert.throws(
      () => checkTrialPorts([DNS], 'the configured services have'),
      (e: unknown) =>
        e instanceof TrialError && e.code === 'trial-no-tcp' && /udp\/53/.test(e.message) && e.hint !== '',
    );
    assert.throws(() => checkTrialPorts([], 'x'), TrialError);
    checkTrialPorts([DNS, SSH], 'x');
  });

  test('request file round trip; junk is no request', () => {
    assert.equal(parseTrialRequest(formatTrialRequest(120)), 120);
    for (const junk of ['', '{', '{"seconds": "120"}', '{"seconds": 0}', '{"seconds": 1.5}', 'null', '[]'])
      assert.equal(parseTrialRequest(junk), undefined, junk);
    assert.throws(() => formatTrialRequest(0), TrialError);
  });
});
