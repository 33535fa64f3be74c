/** The iptables + ipset backend against the real tools, in a fresh namespace pair per test (root). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { IpsetFirewall } from '../../src/firewall/ipset.js';
import { labSkipReason } from './_guard.js';
import {
  CLIENT4,
  CLIENT6,
  GUARDED,
  OPEN_PORT,
  OTHER4,
  SERVER4,
  SERVER6,
  startBackend,
  TCP_PORT,
  TCP_PORT2,
  UDP_PORT,
} from './_lab.js';

const skip = labSkipReason('iptables+ipset backend (real)', [
  'ipset',
  'iptables',
  'ip6tables',
  'iptables-restore',
]);

/** A lab, and a started iptables+ipset backend in its server namespace; both torn down after the test. */
function setup(t: { after(fn: () => Promise<void>): void }) {
  return startBackend(t, (argvPrefix) => new IpsetFirewall({ testSeams: { argvPrefix } }));
}

describe('iptables+ipset backend (real tools in a namespace)', { skip, timeout: 120_000 }, () => {
  test('guarded until granted, for that address only; IPv6 and UDP too', async (t) => {
    const { lab, fw } = await setup(t);
    assert.equal(await lab.tcp(CLIENT4, SERVER4, OPEN_PORT), true, 'unguarded port stays open');
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), false);
    assert.equal(lab.localTcp(TCP_PORT), true, 'loopback is not guarded');
    await fw.grant({ address: OTHER4, protocol: 'tcp', port: TCP_PORT, seconds: 30 });
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), false, 'another address');
    assert.equal(await lab.tcp(OTHER4, SERVER4, TCP_PORT), true);
    assert.equal(await lab.tcp(CLIENT6, SERVER6, TCP_PORT), false);
    await fw.grant({ address: CLIENT6, protocol: 'tcp', port: TCP_PORT, seconds: 30 });
    assert.equal(await lab.tcp(CLIENT6, SERVER6, TCP_PORT), true);
    assert.equal(await lab.udp(CLIENT4, SERVER4, UDP_PORT), false);
    await fw.grant({ address: CLIENT4, protocol: 'udp', port: UDP_PORT, seconds: 30 });
    assert.equal(await lab.udp(CLIENT4, SERVER4, UDP_PORT), true);
  });

  test('self-healing: flushed chains and destroyed sets are seen by intact(); heal() rebuilds them with the live grants', async (t) => {
    const { lab, fw } = await setup(t);
    await fw.grant({ address: CLIENT4, protocol: 'tcp', port: TCP_PORT, seconds: 60 });
    assert.equal(await fw.intact(), true);
    // What `iptables -F; iptables -X; ipset destroy` by another tool leaves: nothing of ours.
    for (const ipt of ['iptables', 'ip6tables']) {
      lab.exec([ipt, '-F']);
      lab.exec([ipt, '-X']);
    }
    lab.exec(['ipset', 'destroy']);
    assert.equal(
      await lab.tcp(OTHER4, SERVER4, TCP_PORT),
      true,
      'the flush opened the guarded port to everyone',
    );
    assert.equal(await fw.intact(), false);
    assert.equal(await fw.heal([...GUARDED]), 1, 'one grant put back');
    assert.equal(await fw.intact(), true);
    assert.equal(await lab.tcp(OTHER4, SERVER4, TCP_PORT), false, 'guarded again');
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), true, 'the live grant still opens it');
    // Only the jump from INPUT removed: detected too.
    lab.exec(['iptables', '-D', 'INPUT', '-j', 'SPA']);
    assert.equal(await fw.intact(), false);
    assert.equal(await fw.heal([...GUARDED]), 0, 'the grant survived in its set');
    assert.equal(await lab.tcp(OTHER4, SERVER4, TCP_PORT), false);
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), true);
  });

  test('a grant removed behind its back (spa-server revoke, another tool) is not brought back by a shorter one', async (t) => {
    const { lab, fw } = await setup(t);
    const g = { address: CLIENT4, protocol: 'tcp', port: TCP_PORT, seconds: 60 } as const;
    await fw.grant(g);
    lab.exec(['ipset', 'del', 'spa4', `${CLIENT4},tcp:${TCP_PORT}`]);
    assert.deepEqual(await fw.list(), [], 'revoked in the kernel');
    await fw.grant({ ...g, seconds: 2 });
    const live = await fw.list();
    assert.equal(live.length, 1, 'the new grant');
    assert.ok(live[0]!.secondsLeft <= 2, `the revoked 60 s came back: ${live[0]!.secondsLeft} s left`);
  });

  test('grants only grow: a 2 s grant after a 30 s one for the same tuple keeps the 30 s', async (t) => {
    const { lab, fw } = await setup(t);
    const g = { address: CLIENT4, protocol: 'tcp', port: TCP_PORT, seconds: 30 } as const;
    const t0 = Date.now();
    await fw.grant(g);
    await fw.grant({ ...g, seconds: 2 });
    await sleep(Math.max(0, 3000 - (Date.now() - t0)));
    assert.equal(
      await lab.tcp(CLIENT4, SERVER4, TCP_PORT),
      true,
      'still open after the short grant would have ended',
    );
    const live = await fw.list();
    assert.equal(live.length, 1, 'one element');
    assert.ok(live[0]!.secondsLeft >= 25, `kept the longer timeout: ${live[0]!.secondsLeft}`);
  });

  test('expiry, established connections, refresh without duplicates', async (t) => {
    const { lab, fw } = await setup(t);
    const t0 = Date.now();
    await fw.grant({ address: CLIENT4, protocol: 'tcp', port: TCP_PORT, seconds: 2 });
    const conn = await lab.open(CLIENT4, SERVER4, TCP_PORT);
    await fw.grant({ address: OTHER4, protocol: 'tcp', port: TCP_PORT, seconds: 10 });
    await sleep(Math.max(0, 3000 - (Date.now() - t0)));
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), false, 'expired');
    assert.equal(await lab.echo(conn), true, 'established connection survives');
    const aged = await fw.list();
    assert.equal(aged.length, 1);
    assert.ok(aged[0]!.secondsLeft <= 8, `aged: ${aged[0]!.secondsLeft}`);
    await fw.grant({ address: OTHER4, protocol: 'tcp', port: TCP_PORT, seconds: 10 });
    await fw.grant({ address: OTHER4, protocol: 'tcp', port: TCP_PORT, seconds: 10 });
    const fresh = await fw.list();
    assert.equal(fresh.length, 1, 'one entry');
    assert.ok(fresh[0]!.secondsLeft >= 9, `reset: ${fresh[0]!.secondsLeft}`);
  });

  test('start() twice keeps grants; revoke; stop() keep and remove leave the rest alone', async (t) => {
    const { lab, fw } = await setup(t);
    lab.exec(['iptables', '-w', '5', '-N', 'OTHER']);
    lab.exec(['iptables', '-w', '5', '-A', 'INPUT', '-p', 'tcp', '--dport', '9999', '-j', 'OTHER']);
    await fw.grant({ address: CLIENT4, protocol: 'tcp', port: TCP_PORT, seconds: 30 });
    await fw.grant({ address: CLIENT4, protocol: 'tcp', port: TCP_PORT2, seconds: 30 });
    await fw.start([...GUARDED]);
    const rules = lab.exec(['iptables', '-S']);
    assert.equal(rules.match(/-A INPUT -j SPA/g)?.length, 1, 'hooked once');
    assert.equal(rules.match(/--dport 2222 -j DROP/g)?.length, 1, 'rules not duplicated');
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), true, 'grant survived start()');
    assert.equal(await fw.revoke(CLIENT4), 2);
    assert.equal(await fw.revoke(CLIENT4), 0);
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), false, 'revoked');
    await fw.stop('keep');
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), false, 'still guarded after keep');
    await fw.stop('remove');
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), true, 'unguarded after remove');
    const left = lab.exec(['iptables', '-S']) + lab.exec(['ip6tables', '-S']);
    assert.doesNotMatch(left, /SPA/);
    assert.match(left, /-A INPUT -p tcp -m tcp --dport 9999 -j OTHER/, 'unrelated rule untouched');
    assert.equal(lab.exec(['ipset', 'list', '-n']).trim(), '');
    await fw.stop('remove'); // idempotent
  });

  test('a trial port is unguarded by the kernel on time (trial set timeout); confirmation makes it a DROP rule; IPv6 too', async (t) => {
    const { lab, fw } = await setup(t);
    const conn = await lab.open(CLIENT4, SERVER4, OPEN_PORT);
    const t0 = Date.now();
    await fw.start([
      { protocol: 'tcp', port: TCP_PORT, trialSeconds: 3 },
      { protocol: 'tcp', port: TCP_PORT2 },
      { protocol: 'tcp', port: OPEN_PORT, trialSeconds: 3 },
    ]);
    // Read at once: the 3 s trial elements expire while the probes below wait on dropped SYNs.
    const guard = await fw.guard();
    assert.deepEqual(
      guard.map((g) => [g.protocol, g.port, g.trialSecondsLeft !== undefined]),
      [
        ['tcp', OPEN_PORT, true],
        ['tcp', TCP_PORT, true],
        ['tcp', TCP_PORT2, false],
      ].sort((a, b) => Number(a[1]) - Number(b[1])),
    );
    assert.ok(guard.every((g) => g.trialSecondsLeft === undefined || g.trialSecondsLeft <= 3));
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), false, 'trial port guarded');
    assert.equal(await lab.tcp(CLIENT6, SERVER6, TCP_PORT), false, 'trial port guarded over IPv6');
    assert.equal(await lab.echo(conn), true, 'a connection opened before the guard survives it');
    assert.doesNotMatch(lab.exec(['iptables', '-S', 'SPA']), new RegExp(`--dport ${TCP_PORT} -j DROP`));

    // No daemon from here on: the kernel alone must roll the trial back.
    await sleep(Math.max(0, 4200 - (Date.now() - t0)));
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), true, 'the kernel dropped the trial guard');
    assert.equal(await lab.tcp(CLIENT6, SERVER6, TCP_PORT), true, '…for IPv6 too');
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT2), false, 'a permanent port stays guarded');
    assert.equal(await lab.echo(conn), true, '…and the connection survives the rollback');
    // Confirmation: start() again without trialSeconds turns the trial port into a DROP rule.
    await fw.start([
      { protocol: 'tcp', port: TCP_PORT, trialSeconds: 2 },
      { protocol: 'tcp', port: TCP_PORT2 },
    ]);
    await fw.start([
      { protocol: 'tcp', port: TCP_PORT },
      { protocol: 'tcp', port: TCP_PORT2 },
    ]);
    assert.equal(
      lab.exec(['ipset', 'save', 'spa_trial_tcp']).includes(`add spa_trial_tcp ${TCP_PORT}`),
      false,
    );
    await sleep(2500);
    assert.equal(await lab.tcp(CLIENT4, SERVER4, TCP_PORT), false, 'confirmed: guarded after the trial time');
    await fw.stop('remove');
    assert.equal(lab.exec(['ipset', 'list', '-n']).trim(), '', 'stop(remove) destroys the trial sets too');
  });

  test('200 grants in a loop all reach the kernel (cost reported)', async (t) => {
    const { fw } = await setup(t);
    const grant = (i: number) =>
      fw.grant({ address: `198.51.100.${i % 250}`, protocol: 'tcp', port: 10000 + i, seconds: 60 });
    for (let i = 0; i < 300; i++) {
      await fw.grant({ address: `198.18.${i >> 8}.${i & 255}`, protocol: 'udp', port: 9, seconds: 60 });
    }
    const start = performance.now();
    for (let i = 0; i < 200; i++) await grant(i);
    const ms = (performance.now() - start) / 200;
    t.diagnostic(`ipset grant: ${ms.toFixed(3)} ms`);
    // The cost is reported, not asserted: speed goals live in `npm run bench`.
    assert.equal((await fw.list()).length, 500);
  });
});
