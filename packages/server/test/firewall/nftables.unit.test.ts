/** nftables backend without root: the nft text it generates and the nft -i framing, on a fake nft. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkGrant } from '../../src/firewall/check.js';
import { FirewallError } from '../../src/firewall/firewall.js';
import {
  addCommand,
  guardBatch,
  guardedSetIsLegacy,
  parseGuardedJson,
  parseSetJson,
  refreshCommand,
  removeTableCommand,
  revokeCommand,
} from '../../src/firewall/nft-text.js';
import { NftablesFirewall } from '../../src/firewall/nftables.js';
import { fakeNft } from './_fake-tool.js';

const SET_JSON = (elems: unknown[]) =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { set: { family: 'inet', name: 'grants6', table: 'spa', elem: elems } },
    ],
  });

describe('nft text', () => {
  test('guard batch: idempotent adds, flushes only the guarded set and the chain', () => {
    const text = guardBatch('spa', -10, [
      { protocol: 'tcp', port: 22 },
      { protocol: 'udp', port: 53 },
    ]);
    assert.equal(
      text,
      [
        'add table inet spa',
        'add set inet spa grants4 { type ipv4_addr . inet_proto . inet_service; flags timeout; }',
        'add set inet spa grants6 { type ipv6_addr . inet_proto . inet_service; flags timeout; }',
        'add chain inet spa input',
        'flush chain inet spa input',
        'delete chain inet spa input',
        'add set inet spa guarded { type inet_proto . inet_service; flags timeout; }',
        'flush set inet spa guarded',
        'add element inet spa guarded { tcp . 22, udp . 53 }',
        'add chain inet spa input { type filter hook input priority -10; policy accept; }',
        'add rule inet spa input ct state established,related accept',
        'add rule inet spa input iif lo accept',
        'add rule inet spa input ip saddr . meta l4proto . th dport @grants4 accept',
        'add rule inet spa input ip6 saddr . meta l4proto . th dport @grants6 accept',
        'add rule inet spa input ct state new tcp flags & (syn | ack) == ack accept',
        'add rule inet spa input meta l4proto . th dport @guarded drop',
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(text, /flush set inet spa grants|flush table|flush ruleset|delete table/);
    assert.doesNotMatch(guardBatch('spa', 0, []), /add element/, 'no empty element list');
  });

  test('guard batch: a trial port gets a kernel timeout, the others none', () => {
    const text = guardBatch('spa', -10, [
      { protocol: 'tcp', port: 22, trialSeconds: 130 },
      { protocol: 'tcp', port: 80 },
    ]);
    assert.match(text, /\nadd element inet spa guarded \{ tcp \. 22 timeout 130s, tcp \. 80 \}\n/);
    assert.doesNotMatch(text, /delete set/);
  });

  test('guard batch: a guarded set without flags timeout (older spa-server) is deleted after the chain, then re-made', () => {
    const lines = guardBatch('spa', -10, [{ protocol: 'tcp', port: 22 }], true).split('\n');
    const at = (l: string) => lines.indexOf(l);
    assert.ok(at('delete chain inet spa input') < at('delete set inet spa guarded'));
    assert.ok(
      at('delete set inet spa guarded') <
        at('add set inet spa guarded { type inet_proto . inet_service; flags timeout; }'),
    );
  });

  test('guardedSetIsLegacy reads the flags of nft -j list set', () => {
    const set = (flags?: unknown) =>
      JSON.stringify({
        nftables: [{ metainfo: {} }, { set: { name: 'guarded', ...(flags ? { flags } : {}) } }],
      });
    assert.equal(guardedSetIsLegacy(set()), true);
    assert.equal(guardedSetIsLegacy(set(['timeout'])), false);
    assert.equal(guardedSetIsLegacy(set('timeout')), false);
    assert.equal(guardedSetIsLegacy(set(['interval'])), true);
    assert.equal(guardedSetIsLegacy('{"nftables": []}'), false);
  });

  test('refresh = add, delete, add in one line (one atomic batch)', () => {
    const g = checkGrant({ address: '2001:DB8::2', protocol: 'udp', port: 53, seconds: 30 });
    assert.equal(
      refreshCommand('t1', g),
      'add element inet t1 grants6 { 2001:db8::2 . udp . 53 timeout 30s }; ' +
        'delete element inet t1 grants6 { 2001:db8::2 . udp . 53 }; ' +
        'add element inet t1 grants6 { 2001:db8::2 . udp . 53 timeout 30s }',
    );
  });

  test("the client's name rides along as the element's comment; a name that could break the line is left out", () => {
    const g = checkGrant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 30, client: 'alice' });
    assert.equal(
      addCommand('t1', g),
      'add element inet t1 grants4 { 192.0.2.1 . tcp . 22 timeout 30s comment "alice" }',
    );
    assert.match(refreshCommand('t1', g), /timeout 30s comment "alice" \}; delete .* comment "alice" \}$/);
    for (const client of ['a" }; flush ruleset; #', 'a b', '', 'x'.repeat(64)]) {
      const bad = checkGrant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 30, client });
      assert.equal(bad.client, undefined, client);
      assert.ok(!addCommand('t1', bad).includes('comment'));
    }
    const json =
      '{"nftables": [{"set": {"elem": [{"elem": {"val": {"concat": ["192.0.2.1", "tcp", 22]}, "timeout": 40, "expires": 39, "comment": "alice"}}]}}]}';
    assert.deepEqual(parseSetJson(json), [
      { address: '192.0.2.1', protocol: 'tcp', port: 22, secondsLeft: 39, client: 'alice' },
    ]);
  });

  test('revoke adds before deleting, so an element that expired meanwhile is no error', () => {
    const cmd = revokeCommand('spa', 4, [
      { address: '192.0.2.1', protocol: 'tcp', port: 22 },
      { address: '192.0.2.1', protocol: 'udp', port: 53 },
    ]);
    assert.equal(
      cmd,
      'add element inet spa grants4 { 192.0.2.1 . tcp . 22, 192.0.2.1 . udp . 53 }; ' +
        'delete element inet spa grants4 { 192.0.2.1 . tcp . 22, 192.0.2.1 . udp . 53 }',
    );
    assert.equal(removeTableCommand('spa'), 'add table inet spa; delete table inet spa');
  });

  test('parses nft -j list set, tolerating numeric protocols and missing fields', () => {
    const json = SET_JSON([
      { elem: { val: { concat: ['2001:db8::2', 'tcp', 22] }, timeout: 30, expires: 29 } },
      { elem: { val: { concat: ['2001:db8::3', 17, '53'] }, timeout: 30 } },
      { elem: { val: { concat: ['2001:db8::4', 'sctp', 9] }, expires: 1 } },
      { weird: true },
    ]);
    assert.deepEqual(parseSetJson(json), [
      { address: '2001:db8::2', protocol: 'tcp', port: 22, secondsLeft: 29 },
      { address: '2001:db8::3', protocol: 'udp', port: 53, secondsLeft: 30 },
    ]);
    assert.deepEqual(parseSetJson('{"nftables": []}'), []);
  });
});

describe('NftablesFirewall on a fake nft', () => {
  test('start() feeds the batch to `nft -f -`, then opens one `nft -j -i` with HOME=/dev/null', async () => {
    const nft = fakeNft();
    const fw = new NftablesFirewall({
      spawn: nft.spawn,
      table: 'gate',
      testSeams: { argvPrefix: ['ip', 'netns', 'exec', 'x'], priority: 5, nftPath: '/usr/sbin/nft' },
    });
    await fw.start([
      { protocol: 'tcp', port: 22 },
      { protocol: 'tcp', port: 22 },
    ]);
    assert.deepEqual(nft.runs, [
      {
        // Is there a guarded set without flags timeout (an older spa-server's)?
        command: 'ip',
        args: ['netns', 'exec', 'x', '/usr/sbin/nft', '-j', 'list', 'set', 'inet', 'gate', 'guarded'],
        input: '',
      },
      {
        command: 'ip',
        args: ['netns', 'exec', 'x', '/usr/sbin/nft', '-f', '-'],
        input: guardBatch('gate', 5, [{ protocol: 'tcp', port: 22 }]),
      },
    ]);
    assert.deepEqual(nft.spawns[2]!.args, ['netns', 'exec', 'x', '/usr/sbin/nft', '-j', '-i']);
    assert.equal(nft.spawns[2]!.env?.HOME, '/dev/null');
    await fw.grant({ address: '192.0.2.9', protocol: 'tcp', port: 22, seconds: 5 });
    await fw.grant({ address: '192.0.2.9', protocol: 'tcp', port: 22, seconds: 5 });
    assert.equal(nft.spawns.length, 3, 'one long-lived child for every grant');
    // start() lists the grant sets (live grants of an earlier run must be refreshed, not
    // re-added); a new tuple is one `add element`, a live one the three-command refresh.
    const g = checkGrant({ address: '192.0.2.9', protocol: 'tcp', port: 22, seconds: 5 });
    assert.deepEqual(nft.lines, [
      '',
      'list set inet gate grants4',
      'list set inet gate grants6',
      addCommand('gate', g),
      refreshCommand('gate', g),
    ]);
    await fw.stop('remove');
    assert.equal(nft.lines.at(-1), 'add table inet gate; delete table inet gate');
    assert.equal(nft.spawns[2]!.child.closed, true, 'child ended');
  });

  test('bad input is rejected before anything is sent', async () => {
    const nft = fakeNft();
    const fw = new NftablesFirewall({ spawn: nft.spawn });
    for (const g of [
      { address: '192.0.2.1; flush ruleset', protocol: 'tcp', port: 22, seconds: 5 },
      { address: '192.0.2.1 }', protocol: 'tcp', port: 22, seconds: 5 },
      { address: 'fe80::1%eth0', protocol: 'tcp', port: 22, seconds: 5 },
      { address: '192.0.2.1', protocol: 'icmp', port: 22, seconds: 5 },
      { address: '192.0.2.1', protocol: 'tcp', port: 0, seconds: 5 },
      { address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 2.5 },
      { address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 99_999_999 },
    ]) {
      await assert.rejects(fw.grant(g as never), { name: 'FirewallError', code: 'bad-argument' });
    }
    assert.equal(nft.spawns.length, 0);
    assert.throws(() => new NftablesFirewall({ table: 'spa; flush ruleset' }), { code: 'bad-argument' });
    assert.throws(() => new NftablesFirewall({ testSeams: { priority: -300 } }), { code: 'bad-argument' });
  });

  test('an nft error becomes a FirewallError carrying stderr; the child stays up', async () => {
    const nft = fakeNft({
      chunked: true,
      onLine: (line) =>
        line.includes('192.0.2.66')
          ? { stderr: `Error: Could not process rule: No such file or directory\n${line}\n   ^^^\n` }
          : undefined,
    });
    const fw = new NftablesFirewall({ spawn: nft.spawn });
    await assert.rejects(fw.grant({ address: '192.0.2.66', protocol: 'tcp', port: 22, seconds: 5 }), (e) => {
      assert.ok(e instanceof FirewallError);
      assert.equal(e.code, 'firewall-failed');
      assert.match(e.message, /Could not process rule: No such file or directory/);
      assert.doesNotMatch(e.message, /spa-sync/, 'marker text is not part of the error');
      assert.match(e.hint, /spa-server has not run/);
      return true;
    });
    await fw.grant({ address: '192.0.2.67', protocol: 'tcp', port: 22, seconds: 5 });
    assert.equal(nft.spawns.length, 1);
  });

  test('list() and revoke() read nft -j output and delete only that address', async () => {
    const elems4 = [
      { elem: { val: { concat: ['192.0.2.1', 'tcp', 22] }, timeout: 30, expires: 12 } },
      { elem: { val: { concat: ['192.0.2.1', 'udp', 53] }, timeout: 30, expires: 13 } },
      { elem: { val: { concat: ['192.0.2.2', 'tcp', 22] }, timeout: 30, expires: 14 } },
    ];
    const elems6 = [{ elem: { val: { concat: ['2001:db8::2', 'tcp', 22] }, timeout: 30, expires: 15 } }];
    const nft = fakeNft({
      onLine: (line) => {
        if (line === 'list set inet spa grants4') return { stdout: `${SET_JSON(elems4)}\n` };
        if (line === 'list set inet spa grants6') return { stdout: `${SET_JSON(elems6)}\n` };
        return undefined;
      },
    });
    const fw = new NftablesFirewall({ spawn: nft.spawn });
    assert.deepEqual(await fw.list(), [
      { address: '192.0.2.1', protocol: 'tcp', port: 22, secondsLeft: 12 },
      { address: '192.0.2.1', protocol: 'udp', port: 53, secondsLeft: 13 },
      { address: '192.0.2.2', protocol: 'tcp', port: 22, secondsLeft: 14 },
      { address: '2001:db8::2', protocol: 'tcp', port: 22, secondsLeft: 15 },
    ]);
    assert.equal(await fw.revoke('192.0.2.1'), 2);
    assert.equal(
      nft.lines.at(-1),
      revokeCommand('spa', 4, [
        { address: '192.0.2.1', protocol: 'tcp', port: 22 },
        { address: '192.0.2.1', protocol: 'udp', port: 53 },
      ]),
    );
    const sent = nft.lines.length;
    assert.equal(await fw.revoke('2001:DB8::9'), 0);
    assert.equal(nft.lines.length, sent + 1, 'only the list, no delete');
  });

  test('a child that dies mid-request is restarted and the request retried once', async () => {
    let deaths = 1;
    const logged: string[] = [];
    const nft = fakeNft({
      onLine: (line) => (line.startsWith('add element') && deaths-- > 0 ? 'die' : undefined),
    });
    const fw = new NftablesFirewall({ spawn: nft.spawn, log: (msg) => logged.push(msg) });
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 });
    assert.equal(nft.spawns.length, 2);
    assert.equal(nft.lines.length, 2, 'sent twice');
    assert.match(logged[0]!, /restarting/);

    // Dies again on every try: a FirewallError, and the next call starts afresh.
    deaths = 2;
    await assert.rejects(fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 }), {
      code: 'firewall-failed',
      message: /died twice/,
    });
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 });
  });

  test('a child that died while idle is replaced on the next request', async () => {
    const nft = fakeNft();
    const fw = new NftablesFirewall({ spawn: nft.spawn });
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 });
    nft.spawns[0]!.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 10));
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 });
    assert.equal(nft.spawns.length, 2);
  });

  test('a hung child times out, is killed, and replaced', async () => {
    let hang = true;
    const nft = fakeNft({
      onLine: () => {
        if (!hang) return undefined;
        hang = false;
        return 'hang';
      },
    });
    const fw = new NftablesFirewall({ spawn: nft.spawn, testSeams: { timeoutMs: 100 } });
    await assert.rejects(fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 }), {
      code: 'firewall-timeout',
    });
    assert.equal(nft.spawns[0]!.child.closed, true);
    await fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 });
    assert.equal(nft.spawns.length, 2);
  });

  test('concurrent grants are serialised, each gets its own answer', async () => {
    const nft = fakeNft({
      chunked: true,
      onLine: (line) => (line.includes('192.0.2.13 ') ? { stderr: 'Error: boom\n' } : undefined),
    });
    const fw = new NftablesFirewall({ spawn: nft.spawn });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        fw.grant({ address: `192.0.2.${i}`, protocol: 'tcp', port: 22, seconds: 5 }),
      ),
    );
    assert.deepEqual(
      results.map((r, i) => (r.status === 'rejected' ? i : -1)).filter((i) => i >= 0),
      [13],
    );
    assert.equal(nft.lines.length, 20);
  });

  test('start() failure reports nft stderr; permission errors get a hint', async () => {
    const nft = fakeNft({
      onRun: () => ({ code: 1, stderr: 'Error: Could not process rule: Operation not permitted\n' }),
    });
    const fw = new NftablesFirewall({ spawn: nft.spawn });
    await assert.rejects(fw.start([{ protocol: 'tcp', port: 22 }]), (e) => {
      assert.ok(e instanceof FirewallError);
      assert.equal(e.code, 'firewall-permission');
      assert.match(e.message, /Operation not permitted/);
      assert.match(e.hint, /root|CAP_NET_ADMIN/);
      return true;
    });
  });

  test('a missing nft binary is firewall-unavailable', async () => {
    const fw = new NftablesFirewall({ testSeams: { nftPath: '/nonexistent/nft' } });
    await assert.rejects(fw.start([]), { code: 'firewall-unavailable' });
    await assert.rejects(fw.grant({ address: '192.0.2.1', protocol: 'tcp', port: 22, seconds: 5 }), {
      code: 'firewall-unavailable',
    });
  });
});

describe('NftablesFirewall: one command for a new tuple, the refresh for a live one', () => {
  const tcp22 = (address: string, seconds = 30) =>
    checkGrant({ address, protocol: 'tcp', port: 22, seconds });
  const listed = (set: string, elems: string) =>
    `{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"set": {"family": "inet", "name": "${set}", "table": "spa", "elem": [${elems}]}}]}\n`;

  test('a grant kept from an earlier run (listed at start) is refreshed, a new one added', async () => {
    const nft = fakeNft({
      onLine: (line) =>
        line === 'list set inet spa grants4'
          ? {
              stdout: listed(
                'grants4',
                // 20 s left: a 30 s grant lengthens it (a longer one would be kept: grow.unit.test.ts)
                '{"elem": {"val": {"concat": ["192.0.2.7", "tcp", 22]}, "timeout": 60, "expires": 20}}',
              ),
            }
          : undefined,
    });
    let now = 1_000_000;
    const fw = new NftablesFirewall({ spawn: nft.spawn, now: () => now });
    await fw.start([{ protocol: 'tcp', port: 22 }]);
    await fw.grant(tcp22('192.0.2.7'));
    await fw.grant(tcp22('192.0.2.8'));
    assert.deepEqual(nft.lines.slice(-2), [
      refreshCommand('spa', tcp22('192.0.2.7')),
      addCommand('spa', tcp22('192.0.2.8')),
    ]);
    // 192.0.2.8 expires at now + 30 s; within the grace after it, still a refresh; later, an add.
    now += 33_000;
    await fw.grant(tcp22('192.0.2.8'));
    assert.equal(nft.lines.at(-1), refreshCommand('spa', tcp22('192.0.2.8')));
    now += 30_000 + 5_000;
    await fw.grant(tcp22('192.0.2.8'));
    assert.equal(nft.lines.at(-1), addCommand('spa', tcp22('192.0.2.8')));
    await fw.stop('keep');
  });

  test('after a revoke the next grant of that tuple is a plain add', async () => {
    let live = '';
    const nft = fakeNft({
      onLine: (line) =>
        line === 'list set inet spa grants4' ? { stdout: listed('grants4', live) } : undefined,
    });
    const fw = new NftablesFirewall({ spawn: nft.spawn });
    await fw.start([{ protocol: 'tcp', port: 22 }]);
    await fw.grant(tcp22('192.0.2.9'));
    live = '{"elem": {"val": {"concat": ["192.0.2.9", "tcp", 22]}, "timeout": 30, "expires": 29}}';
    assert.equal(await fw.revoke('192.0.2.9'), 1);
    await fw.grant(tcp22('192.0.2.9'));
    assert.equal(nft.lines.at(-1), addCommand('spa', tcp22('192.0.2.9')));
    await fw.stop('keep');
  });
});

test('parseGuardedJson: timeout-less elements are for good, elements with expires are on trial', () => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      {
        set: {
          name: 'guarded',
          flags: ['timeout'],
          elem: [
            { elem: { val: { concat: ['tcp', 22] }, timeout: 130, expires: 129 } },
            { concat: ['udp', 53] },
            { concat: ['tcp', 80] },
            { concat: ['sctp', 9] },
          ],
        },
      },
    ],
  });
  assert.deepEqual(parseGuardedJson(json), [
    { protocol: 'tcp', port: 22, trialSecondsLeft: 129 },
    { protocol: 'udp', port: 53 },
    { protocol: 'tcp', port: 80 },
  ]);
  assert.deepEqual(parseGuardedJson('{"nftables": [{"set": {"name": "guarded"}}]}'), []);
});
