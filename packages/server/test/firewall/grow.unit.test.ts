/**
 * Grants only grow (issue 12, item 7): a knock for an address+service that already has a
 * longer-lived grant keeps the longer timeout, in every backend. The attack: alice opens web
 * for 5 min, a knock for the same tuple with --duration 2 (bob behind the same NAT, or alice
 * again) must not cut her off 2 s later.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkGrant } from '../../src/firewall/check.js';
import { CommandFirewall } from '../../src/firewall/command.js';
import { DryRunFirewall } from '../../src/firewall/dry-run.js';
import type { Firewall, Grant } from '../../src/firewall/firewall.js';
import { IpsetFirewall } from '../../src/firewall/ipset.js';
import { GrantTable } from '../../src/firewall/memory.js';
import { addCommand, refreshCommand } from '../../src/firewall/nft-text.js';
import { NftablesFirewall } from '../../src/firewall/nftables.js';
import { FakeFirewall } from '../support/fake-firewall.js';
import { FakeTool, fakeIpset, fakeNft } from './_fake-tool.js';

const long: Grant = { address: '192.0.2.7', protocol: 'tcp', port: 80, seconds: 300 };
const short: Grant = { ...long, seconds: 2 };

describe('grants only grow', () => {
  test('GrantTable: a shorter put keeps the later deadline; a longer one extends it', () => {
    let now = 0;
    const t = new GrantTable(() => now);
    t.put(long);
    now = 1000;
    assert.equal(t.seconds(short), 299);
    assert.equal(t.put(short), 299);
    now = 10_000;
    assert.deepEqual(
      t.list().map((g) => g.secondsLeft),
      [290],
    );
    assert.equal(t.put({ ...long, seconds: 600 }), 600);
    now = 300_000;
    assert.equal(t.list().length, 1, 'still live after the first grant would have ended');
  });

  const memoryBackends: Array<[string, (now: () => number) => Firewall]> = [
    ['fake', (now) => new FakeFirewall({ now })],
    ['dry-run', (now) => new DryRunFirewall({ log: () => undefined, now })],
  ];
  for (const [name, make] of memoryBackends) {
    test(`${name}: 300 s then 2 s for the same tuple → still live after 3 s, ~297 s left`, async () => {
      let now = 1_000_000;
      const fw = make(() => now);
      await fw.start([{ protocol: 'tcp', port: 80 }]);
      await fw.grant(long);
      await fw.grant(short);
      now += 3000;
      assert.deepEqual(
        (await fw.list()).map((g) => g.secondsLeft),
        [297],
      );
    });
  }

  test('command: the program is given the longer grant’s seconds, never the shorter', async () => {
    const tool = new FakeTool({
      interactive: () => false,
      marker: () => undefined,
      onRun: () => ({ code: 0 }),
    });
    let now = 1_000_000;
    const fw = new CommandFirewall({
      templates: { grant: ['/bin/open', '{ip}', '{seconds}'] },
      spawn: tool.spawn,
      now: () => now,
    });
    await fw.grant(long);
    now += 1000;
    await fw.grant(short);
    assert.deepEqual(
      tool.runs.map((r) => r.args[1]),
      ['300', '299'],
    );
    now += 2000;
    assert.deepEqual(
      (await fw.list()).map((g) => g.secondsLeft),
      [297],
    );
  });

  test('nftables: a shorter grant for a live tuple leaves the kernel element alone (after asking the kernel it is there), never delete+add', async () => {
    const nft = fakeNft();
    let now = 1_000_000;
    const fw = new NftablesFirewall({ spawn: nft.spawn, now: () => now });
    await fw.start([{ protocol: 'tcp', port: 80 }]);
    await fw.grant(long);
    const linesAfterLong = nft.lines.length;
    now += 1000;
    await fw.grant(short);
    assert.equal(nft.lines.length, linesAfterLong, 'nothing sent that could change the element');
    assert.deepEqual(nft.runs.at(-1)?.args, [
      'get',
      'element',
      'inet',
      'spa',
      'grants4',
      '{ 192.0.2.7 . tcp . 80 }',
    ]);
    // Gone from the kernel (revoked behind the daemon's back): the short grant stands on its own.
    const gone = fakeNft({ onRun: (_c, args) => ({ code: args[0] === 'get' ? 1 : 0 }) });
    const fw2 = new NftablesFirewall({ spawn: gone.spawn, now: () => now });
    await fw2.start([{ protocol: 'tcp', port: 80 }]);
    await fw2.grant(long);
    await fw2.grant(short);
    assert.equal(gone.lines.at(-1), addCommand('spa', checkGrant(short)));
    await fw2.stop('keep');
    // An equal or longer grant still restarts the timeout (refresh).
    await fw.grant({ ...long, seconds: 600 });
    assert.equal(nft.lines.at(-1), refreshCommand('spa', checkGrant({ ...long, seconds: 600 })));
    await fw.stop('keep');
  });

  test('ipset: a shorter grant re-adds with the longer grant’s seconds left (-exist replaces the timeout)', async () => {
    const tool = fakeIpset();
    let now = 1_000_000;
    const fw = new IpsetFirewall({ spawn: tool.spawn, now: () => now });
    await fw.start([{ protocol: 'tcp', port: 80 }]);
    await fw.grant(long);
    now += 1000;
    await fw.grant(short);
    assert.deepEqual(tool.lines.slice(-2), [
      'add spa4 192.0.2.7,tcp:80 timeout 300 -exist',
      'add spa4 192.0.2.7,tcp:80 timeout 299 -exist',
    ]);
    await fw.stop('keep');
  });
});
