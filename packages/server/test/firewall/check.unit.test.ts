/** Input checks shared by every backend. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalAddress, checkGrant, checkGuarded, checkName } from '../../src/firewall/check.js';
import { MAX_GRANT_SECONDS } from '../../src/firewall/firewall.js';

describe('firewall input checks', () => {
  test('addresses become canonical text', () => {
    assert.deepEqual(canonicalAddress('192.0.2.1'), { family: 4, text: '192.0.2.1' });
    assert.deepEqual(canonicalAddress('2001:DB8:0:0:0:0:0:1'), { family: 6, text: '2001:db8::1' });
    assert.deepEqual(canonicalAddress('2001:db8:0:0:1:0:0:1'), { family: 6, text: '2001:db8::1:0:0:1' });
    assert.deepEqual(canonicalAddress('::'), { family: 6, text: '::' });
    assert.deepEqual(canonicalAddress('fe80::0001'), { family: 6, text: 'fe80::1' });
  });

  test('anything else is a bad-argument FirewallError', () => {
    for (const bad of [
      '',
      ' 192.0.2.1',
      '192.0.2.1 ',
      '192.0.2.01',
      '192.0.2.256',
      '192.0.2',
      '192.0.2.1/32',
      '192.0.2.1; rm -rf /',
      'fe80::1%eth0',
      '::ffff:192.0.2.1',
      '2001:db8::1::2',
      'localhost',
      '{ip}',
      42,
      null,
    ]) {
      assert.throws(
        () => canonicalAddress(bad),
        { name: 'FirewallError', code: 'bad-argument' },
        String(bad),
      );
    }
  });

  test('grants: ports, protocols and seconds are range-checked', () => {
    assert.deepEqual(checkGrant({ address: '2001:db8::0:1', protocol: 'udp', port: 65535, seconds: 1 }), {
      address: '2001:db8::1',
      family: 6,
      protocol: 'udp',
      port: 65535,
      seconds: 1,
    });
    const ok = { address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 30 } as const;
    checkGrant({ ...ok, seconds: MAX_GRANT_SECONDS });
    for (const patch of [
      { port: 0 },
      { port: 65536 },
      { port: '22' },
      { port: 22.5 },
      { seconds: 0 },
      { seconds: MAX_GRANT_SECONDS + 1 },
      { seconds: Number.NaN },
      { protocol: 'TCP' },
      { protocol: 'sctp' },
    ]) {
      assert.throws(
        () => checkGrant({ ...ok, ...patch } as never),
        { code: 'bad-argument' },
        JSON.stringify(patch),
      );
    }
  });

  test('guarded ports are checked and de-duplicated in order', () => {
    assert.deepEqual(
      checkGuarded([
        { protocol: 'udp', port: 53 },
        { protocol: 'tcp', port: 22 },
        { protocol: 'udp', port: 53 },
      ]),
      [
        { protocol: 'udp', port: 53 },
        { protocol: 'tcp', port: 22 },
      ],
    );
    assert.throws(() => checkGuarded([{ protocol: 'tcp', port: 70000 }]), { code: 'bad-argument' });
    assert.throws(() => checkGuarded('tcp/22' as never), { code: 'bad-argument' });
  });

  test('names are safe identifiers', () => {
    assert.equal(checkName('spa', 'table'), 'spa');
    assert.equal(checkName('spa_2', 'table'), 'spa_2');
    for (const bad of ['', 'Spa', '2spa', 'spa-x', 'spa x', 'a'.repeat(21), 'spa;']) {
      assert.throws(() => checkName(bad, 'table'), { code: 'bad-argument' }, bad);
    }
  });
});
