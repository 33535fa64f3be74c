/** iptables+ipset backend without root: generated text and the `ipset -` framing, on fakes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkGrant } from '../../src/firewall/check.js';
import { IpsetFirewall } from '../../src/firewall/ipset.js';
import {
  addCommand,
  chainRestore,
  ipsetNames,
  parseChainDrops,
  parseSave,
  parseTrialSave,
  trialRestore,
} from '../../src/firewall/ipset-text.js';
import { fakeIpset } from './_fake-tool.js';

const names = ipsetNames('spa');

describe('ipset text', () => {
  test('chain: established and granted return to INPUT, guarded ports drop, trial ports by set', () => {
    assert.equal(
      chainRestore(names, 6, [
        { protocol: 'tcp', port: 22 },
        { protocol: 'udp', port: 53 },
        { protocol: 'tcp', port: 80, trialSeconds: 130 },
      ]),
      [
        '*filter',
        ':SPA - [0:0]',
        '-A SPA -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN',
        '-A SPA -i lo -j RETURN',
        '-A SPA -m set --match-set spa6 src,dst -j RETURN',
        '-A SPA -p tcp --tcp-flags SYN,ACK ACK -m conntrack --ctstate NEW -j RETURN',
        '-A SPA -p tcp -m tcp --dport 22 -j DROP',
        '-A SPA -p udp -m udp --dport 53 -j DROP',
        '-A SPA -p tcp -m set --match-set spa_trial_tcp dst -j DROP',
        '-A SPA -p udp -m set --match-set spa_trial_udp dst -j DROP',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  test('trial sets: ports added with their timeout, ports no longer on trial removed', () => {
    assert.equal(
      trialRestore(
        names,
        [{ protocol: 'tcp', port: 22, trialSeconds: 130 }],
        [
          { protocol: 'tcp', port: 22 },
          { protocol: 'udp', port: 53 },
        ],
      ),
      'add spa_trial_tcp 22 timeout 130\ndel spa_trial_udp 53\n',
    );
    assert.equal(trialRestore(names, [], []), '');
    const save =
      'create spa_trial_tcp bitmap:port range 0-65535 timeout 0\nadd spa_trial_tcp 22 timeout 118\n';
    assert.deepEqual(parseTrialSave(save, 'tcp'), [{ protocol: 'tcp', port: 22, secondsLeft: 118 }]);
    const chain = [
      '-N SPA',
      '-A SPA -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
      '-A SPA -p tcp -m tcp --dport 22 -j DROP',
      '-A SPA -p udp -m udp --dport 53 -j DROP',
      '-A SPA -p tcp -m set --match-set spa_trial_tcp dst -j DROP',
    ].join('\n');
    assert.deepEqual(parseChainDrops(chain), [
      { protocol: 'tcp', port: 22 },
      { protocol: 'udp', port: 53 },
    ]);
  });

  test('add with -exist (resets the timeout); save output parsed', () => {
    const g = checkGrant({ address: '2001:db8::2', protocol: 'tcp', port: 22, seconds: 30 });
    assert.equal(addCommand(names, g), 'add spa6 2001:db8::2,tcp:22 timeout 30 -exist');
    const save = [
      'create spa4 hash:ip,port family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0x1',
      'add spa4 192.0.2.1,tcp:22 timeout 29',
      'add spa4 192.0.2.2,udp:53 timeout 5',
      'add spa4 192.0.2.3,sctp:9 timeout 5',
      '',
    ].join('\n');
    assert.deepEqual(parseSave(save), [
      { address: '192.0.2.1', protocol: 'tcp', port: 22, secondsLeft: 29 },
      { address: '192.0.2.2', protocol: 'udp', port: 53, secondsLeft: 5 },
    ]);
  });
});

describe('IpsetFirewall on fake tools', () => {
  test('start: sets, chain restore per family, hook only when -C fails; grants through one `ipset -`', async () => {
    const tool = fakeIpset({
      // The v4 hook exists already, the v6 one does not.
      onRun: (command, args) => ({ code: args.includes('-C') && command === 'ip6tables' ? 1 : 0 }),
    });
    const fw = new IpsetFirewall({ spawn: tool.spawn });
    await fw.start([{ protocol: 'tcp', port: 22 }]);
    assert.deepEqual(
      tool.runs.map((r) => [r.command, ...r.args].join(' ')),
      [
        'ipset -exist restore',
        'iptables-restore -w 5 --noflush',
        'iptables -w 5 -C INPUT -j SPA',
        'ip6tables-restore -w 5 --noflush',
        'ip6tables -w 5 -C INPUT -j SPA',
        'ip6tables -w 5 -I INPUT 1 -j SPA',
        'ipset save spa_trial_tcp',
        'ipset save spa_trial_udp',
        // the live grants, so a later shorter grant cannot cut one short
        'ipset save spa4',
        'ipset save spa6',
      ],
    );
    assert.match(tool.runs[0]!.input, /^create spa4 hash:ip,port family inet timeout 0\n/);
    assert.equal(tool.runs[1]!.input, chainRestore(names, 4, [{ protocol: 'tcp', port: 22 }]));
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 9 });
    assert.deepEqual(tool.lines, ['', 'add spa4 192.0.2.1,tcp:22 timeout 9 -exist']);
    assert.equal(tool.spawns.filter((s) => s.args.includes('-')).length, 1);
  });

  test('ipset errors become FirewallErrors; the marker is not part of them', async () => {
    const tool = fakeIpset({
      chunked: true,
      onLine: (line) =>
        line.startsWith('add')
          ? { stderr: 'ipset v7.17: The set with the given name does not exist\n' }
          : undefined,
    });
    const fw = new IpsetFirewall({ spawn: tool.spawn });
    await assert.rejects(
      fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 9 }),
      (e: Error) => {
        assert.match(e.message, /does not exist/);
        assert.doesNotMatch(e.message, /sync\d/);
        return true;
      },
    );
  });

  test('revoke deletes each entry of that address with -exist', async () => {
    const tool = fakeIpset({
      onRun: (_c, args) =>
        args[0] === 'save' && args[1] === 'spa4'
          ? { code: 0, stdout: 'add spa4 192.0.2.1,tcp:22 timeout 9\nadd spa4 192.0.2.2,tcp:22 timeout 9\n' }
          : { code: 0 },
    });
    const fw = new IpsetFirewall({ spawn: tool.spawn });
    assert.equal(await fw.revoke('192.0.2.1'), 1);
    assert.deepEqual(tool.lines, ['del spa4 192.0.2.1,tcp:22 -exist']);
  });
});
