/** The in-memory backends (dry-run, fake) and the factory. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DryRunFirewall } from '../../src/firewall/dry-run.js';
import { FirewallError } from '../../src/firewall/firewall.js';
import {
  CommandFirewall,
  createFirewall,
  IpsetFirewall,
  NftablesFirewall,
} from '../../src/firewall/index.js';
import { GrantTable } from '../../src/firewall/memory.js';
import { FakeFirewall } from '../support/fake-firewall.js';

describe('GrantTable', () => {
  test('one entry per tuple, refresh resets the deadline, expiry by the injected clock', () => {
    let now = 0;
    const t = new GrantTable(() => now);
    t.put({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 10 });
    now = 4000;
    assert.deepEqual(t.list(), [{ address: '192.0.2.1', protocol: 'tcp', port: 22, secondsLeft: 6 }]);
    t.put({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 10 });
    t.put({ address: '192.0.2.1', protocol: 'udp', port: 22, seconds: 1 });
    assert.equal(t.list().length, 2);
    now = 5000;
    assert.deepEqual(t.list(), [{ address: '192.0.2.1', protocol: 'tcp', port: 22, secondsLeft: 9 }]);
    now = 14_000;
    assert.deepEqual(t.list(), []);
  });
});

describe('DryRunFirewall', () => {
  test('logs what it would do, changes nothing, list/revoke behave', async () => {
    const logs: [string, Record<string, unknown> | undefined][] = [];
    let now = 0;
    const fw = new DryRunFirewall({ log: (msg, fields) => logs.push([msg, fields]), now: () => now });
    await fw.start([{ protocol: 'tcp', port: 22 }]);
    await fw.grant({ address: '2001:DB8::1', protocol: 'tcp', port: 22, seconds: 30 });
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 30 });
    now = 1000;
    assert.deepEqual(
      (await fw.list()).map((g) => [g.address, g.secondsLeft]),
      [
        ['2001:db8::1', 29],
        ['192.0.2.1', 29],
      ],
    );
    assert.equal(await fw.revoke('2001:db8::1'), 1);
    await fw.stop('remove');
    assert.deepEqual(await fw.list(), []);
    assert.deepEqual(logs[0], ['firewall (dry run): would guard ports', { guarded: ['tcp/22'] }]);
    assert.deepEqual(logs[1], [
      'firewall (dry run): would grant',
      { address: '2001:db8::1', protocol: 'tcp', port: 22, seconds: 30 },
    ]);
    assert.deepEqual(logs.at(-1), ['firewall (dry run): would stop', { mode: 'remove' }]);
    await assert.rejects(fw.grant({ address: 'nope', protocol: 'tcp', port: 22, seconds: 1 }), {
      code: 'bad-argument',
    });
  });
});

describe('FakeFirewall', () => {
  test('records calls, keeps grants with its clock, fails on demand', async () => {
    let now = 0;
    const fw = new FakeFirewall({ now: () => now });
    await fw.start([{ protocol: 'tcp', port: 22 }]);
    assert.equal(fw.state, 'running');
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 2 });
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 2 });
    assert.equal(fw.grants().length, 1, 'refresh, not duplicate');
    now = 2000;
    assert.deepEqual(await fw.list(), []);
    fw.failNext('grant', new FirewallError('firewall-failed', 'boom'));
    await assert.rejects(fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 2 }), {
      message: 'boom',
    });
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 2 });
    assert.equal(await fw.revoke('192.0.2.1'), 1);
    await fw.stop('keep');
    assert.equal(fw.state, 'keep');
    assert.deepEqual(
      fw.calls.map((c) => c.method),
      ['start', 'grant', 'grant', 'list', 'grant', 'grant', 'revoke', 'stop'],
    );
    assert.deepEqual(fw.calls[1], {
      method: 'grant',
      grant: { address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 2 },
    });
  });
});

describe('createFirewall', () => {
  test('picks the backend from config', () => {
    assert.ok(
      createFirewall({ backend: 'nftables', table: 'gate' }, { testSeams: { priority: 0 } }) instanceof
        NftablesFirewall,
    );
    assert.equal((createFirewall({ backend: 'nftables' }) as NftablesFirewall).table, 'spa');
    assert.ok(createFirewall({ backend: 'iptables' }) instanceof IpsetFirewall);
    assert.ok(
      createFirewall({ backend: 'command', command: { grant: ['/bin/true'] } }) instanceof CommandFirewall,
    );
    assert.equal(createFirewall({ backend: 'dry-run' }, { log: () => {} }).name, 'dry-run');
  });

  test('configuration mistakes are bad-argument errors with hints', () => {
    assert.throws(
      () => createFirewall({ backend: 'pf' as never }),
      (e) => {
        assert.ok(e instanceof FirewallError);
        assert.equal(e.code, 'bad-argument');
        assert.match(e.hint, /nftables, iptables, command, dry-run/);
        return true;
      },
    );
    assert.throws(() => createFirewall({ backend: 'command' }), { code: 'bad-argument' });
    assert.throws(() => createFirewall({ backend: 'dry-run' }), { code: 'bad-argument' });
    assert.throws(() => createFirewall({ backend: 'nftables', table: 'x y' }), { code: 'bad-argument' });
  });
});
