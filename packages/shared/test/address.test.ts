import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalIp, cidrContains, formatIp, parseCidr, parseIp } from '../src/index.js';

test('canonical forms (RFC 5952)', () => {
  const cases: Array<[string, string]> = [
    ['192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['fe80::0001', 'fe80::1'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalIp(input), want, input);
});

test('rejects non-addresses', () => {
  for (const bad of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.4 ',
    'a::b::c',
    '1:2:3:4:5:6:7:8:9',
    ':::',
    '12345::',
    '1.2.3.4::',
    'fe80::1%eth0',
    'host.example',
  ]) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('format/parse round-trip (property)', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
      const a = parseIp(text);
      assert.ok(a, text);
      const canon = formatIp(a);
      assert.deepEqual(parseIp(canon)?.bytes, a.bytes);
      assert.equal(canonicalIp(canon), canon);
    }),
    { numRuns: 2000 },
  );
});

test('CIDR matching', () => {
  const net = parseCidr('192.0.2.0/24')!;
  assert.ok(cidrContains(net, parseIp('192.0.2.200')!));
  assert.ok(!cidrContains(net, parseIp('192.0.3.1')!));
  assert.ok(!cidrContains(net, parseIp('2001:db8::1')!));
  const v6 = parseCidr('2001:db8::/33')!;
  assert.ok(cidrContains(v6, parseIp('2001:db8:7fff::1')!));
  assert.ok(!cidrContains(v6, parseIp('2001:db8:8000::1')!));
  assert.ok(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('203.0.113.9')!));
  assert.ok(cidrContains(parseCidr('192.0.2.7')!, parseIp('192.0.2.7')!));
  for (const bad of ['192.0.2.0/33', '2001:db8::/129', '192.0.2.0/', '192.0.2.0/08', 'x/8']) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});
