/**
 * Issue 8: the trial guard never locks the admin out.
 *   a. a trial with no knock rolls back on time (the port is reachable again, the log says why);
 *   b. a trial confirmed by a knock and a connection stays (after the trial time and the kernel
 *      margin the port is still hidden, and the client still gets in by knocking);
 *   c. an admin session opened before the guard survives the guard going up and the rollback;
 *   d. the kernel backstop: kill -9 the daemon mid-trial and the guard still goes away;
 *   e. the host's own firewall drops ssh: the knock is granted but cannot get the client in (an
 *      accept in spa's table does not override a drop in another), so the trial rolls back with
 *      reason no-connection; once fixed, `spa-server reload --trial` guards the ports on trial
 *      again and a knock confirms it.
 * Trials are a few seconds long; waits are bounded polls with generous slack.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { TRIAL_KERNEL_MARGIN_SECONDS } from '@spa/server';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';
import { CLOSED_PROBE_MS, logMark, reaches, until, waitForLogAfter } from '../spa/probes.js';

/** How long past the trial the kernel keeps a trial port's guard. */
const KERNEL_MARGIN_S = TRIAL_KERNEL_MARGIN_SECONDS;
/** Slack for "on time": the daemon's 0.5 s tick, a loaded machine. */
const LATE_MS = 5000;

describe('trial guard (run --trial): rollback, confirmation, sessions, kernel backstop', () => {
  let spa: SpaLab | undefined;

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ start: false });
  });
  after(async () => {
    await spa?.teardown();
  });
  /** Each test starts its own daemon; a failed one must not leave it running for the next. */
  afterEach(async () => {
    await spa?.stopServer('SIGKILL');
  });

  test('a+c. no knock: the guard rolls back on time, says why, and the admin session survives both', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const admin = await lab.lab.agent('client');
    const attacker = await lab.lab.agent('attacker');

    // The admin's session, open before the guard exists.
    const held = await admin.hold(server.ipv4, 22, 1000);
    assert.ok(held.ok, `hold: ${JSON.stringify(held)}`);
    const trialS = 4;
    const startedAt = Date.now();
    await lab.startServer(15_000, ['--trial', `${trialS}s`]);
    const announced = await waitForLogAfter(lab, 0, (l) => /^TRIAL: /.test(l.msg));
    assert.equal(announced.trialPorts, 'tcp/22, tcp/80');
    assert.match(await lab.nftGuarded(), /tcp \. 22 timeout/, 'the kernel element carries a timeout');

    assert.equal(
      await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'guarded during the trial',
    );
    assert.ok((await admin.echo(held.handle, 'guard up\n')).ok, 'the session survives the guard going up');

    const rolled = await waitForLogAfter(
      lab,
      0,
      (l) => /^TRIAL NOT CONFIRMED/.test(l.msg),
      trialS * 1000 + LATE_MS,
    );
    const tookMs = Date.now() - startedAt;
    t.diagnostic(`rolled back ${tookMs} ms after start: ${rolled.msg}`);
    assert.equal(rolled.level, 50, 'logged at error');
    assert.equal(rolled.reason, 'no-knock');
    assert.match(rolled.msg, /removed the guard from tcp\/22, tcp\/80/);
    assert.match(rolled.msg, /no knock was accepted/);
    await until('port 22 reachable again from the attacker', LATE_MS, () =>
      reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
    );
    assert.ok(await reaches(attacker, server.ipv4, 80), 'and port 80');
    assert.equal(await lab.nftGuarded(), '', 'nothing guarded');
    assert.ok((await admin.echo(held.handle, 'rolled back\n')).ok, 'the session survives the rollback');
    assert.ok(lab.server?.running, 'the daemon keeps running');
    await admin.close(held.handle);
    await lab.stopServer();
  });

  test('b. a knock and a connection confirm the trial: the guard stays after the trial time', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const attacker = await lab.lab.agent('attacker');
    const trialS = 4;
    await lab.startServer(15_000, ['--trial', `${trialS}s`]);
    const announced = await waitForLogAfter(lab, 0, (l) => /^TRIAL: /.test(l.msg));
    const mark = logMark(lab);

    // spa-client connects to the port after knocking (its open check): that alone confirms.
    // Over IPv6 (test e confirms over IPv4): the capture term's ip6[53] flags test, for real.
    const open = await lab.clientCli('client', ['open', 'ssh', '-6']);
    assert.equal(open.code, 0, open.stderr);
    const confirmed = await waitForLogAfter(lab, mark, (l) => /^trial confirmed/.test(l.msg));
    assert.ok(await reaches(client, server.ipv6, 22), 'the client gets in');
    t.diagnostic(confirmed.msg);
    assert.equal(confirmed.address, clientHost.ipv6);
    assert.equal(confirmed.port, 22);
    assert.match(confirmed.msg, /now permanent/);
    await until('the guard without timeouts', 5000, async () => !/timeout/.test(await lab.nftGuarded()));

    // Past the trial time and the kernel margin: nothing rolled back. A negative check, so it
    // waits on a timestamp, the announced deadline plus the kernel margin plus a tick of slack,
    // not on a count of seconds from some earlier point.
    const pastMs = Date.parse(String(announced.deadline)) + (KERNEL_MARGIN_S + 1) * 1000;
    assert.ok(Number.isFinite(pastMs), `deadline in the TRIAL line: ${String(announced.deadline)}`);
    await until(
      'the trial deadline and kernel margin to pass',
      pastMs - Date.now() + 2000,
      () => Date.now() > pastMs,
    );
    assert.equal(
      lab.logs().some((l) => /^TRIAL NOT CONFIRMED/.test(l.msg)),
      false,
      'no rollback',
    );
    assert.equal(await lab.nftGuarded(), 'tcp . 22, tcp . 80');
    assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false, 'still hidden');
    assert.equal(await reaches(attacker, server.ipv6, 22, CLOSED_PROBE_MS), false, 'still hidden (IPv6)');
    assert.equal(await reaches(attacker, server.ipv4, 80, CLOSED_PROBE_MS), false, 'still hidden');
    const again = await lab.clientCli('client', ['open', 'web', '-4']);
    assert.equal(again.code, 0, again.stderr);
    assert.ok(await reaches(client, server.ipv4, 80), 'a knock still lets the client in');
    await lab.stopServer();
  });

  test('d. kill -9 mid-trial: the kernel drops the trial guard by itself', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const attacker = await lab.lab.agent('attacker');
    const admin = await lab.lab.agent('client');
    const trialS = 3;
    await lab.startServer(15_000, ['--trial', `${trialS}s`]);
    const held = await admin.hold(server.ipv4, 22, 1000).catch(() => undefined);
    const startedAt = Date.now();
    await lab.stopServer('SIGKILL');
    assert.equal(
      await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'guarded while the kernel timer runs',
    );
    await until(
      'the kernel to drop the trial guard',
      (trialS + KERNEL_MARGIN_S) * 1000 + LATE_MS,
      () => reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS),
      250,
    );
    const tookMs = Date.now() - startedAt;
    t.diagnostic(`reachable again ${tookMs} ms after kill -9`);
    assert.ok(await reaches(attacker, server.ipv4, 80), 'port 80 too');
    assert.equal(await lab.nftGuarded(), '');
    if (held?.ok) await admin.close(held.handle);
  });

  test('e. own firewall drops ssh → no-connection rollback; fixed, reload --trial guards again and is confirmed', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const attacker = await lab.lab.agent('attacker');
    const hostFirewall = async (rules: string) => {
      const r = await lab.lab.exec('server', ['nft', rules]);
      assert.equal(r.code, 0, r.stderr);
    };
    await hostFirewall(
      'add table inet hostfw; add chain inet hostfw input { type filter hook input priority 0; policy accept; }; add rule inet hostfw input tcp dport { 22, 80 } drop',
    );
    try {
      const trialS = 4;
      await lab.startServer(15_000, ['--trial', `${trialS}s`]);
      const open = await lab.clientCli('client', ['open', 'ssh', '-4', '--no-wait']);
      assert.equal(open.code, 0, open.stderr);
      await waitForLogAfter(lab, 0, (l) => l.msg === 'grant' && l.address === clientHost.ipv4);
      assert.equal(
        await reaches(client, server.ipv4, 22, CLOSED_PROBE_MS),
        false,
        'the host drops it anyway',
      );
      const rolled = await waitForLogAfter(
        lab,
        0,
        (l) => /^TRIAL NOT CONFIRMED/.test(l.msg),
        trialS * 1000 + LATE_MS,
      );
      t.diagnostic(rolled.msg);
      assert.equal(rolled.reason, 'no-connection');
      assert.deepEqual(rolled.granted, [clientHost.ipv4]);
      assert.match(rolled.msg, /does the host's own firewall let it through\?/);
    } finally {
      await hostFirewall('delete table inet hostfw');
    }
    // No wait here on purpose: the daemon logs the rollback only once the kernel has it, so the
    // port must be open the moment the line is read (issue 17: it used to log ~0.3-1.1 s early).
    assert.ok(await reaches(attacker, server.ipv4, 22), 'rolled back: open to all');

    // A plain reload keeps the rolled-back ports open; reload --trial guards them on trial.
    let mark = logMark(lab);
    const plain = await lab.serverCli(['reload']);
    assert.equal(plain.code, 0, plain.stderr);
    await waitForLogAfter(lab, mark, (l) => /^still unguarded after a failed trial/.test(l.msg));
    assert.ok(await reaches(attacker, server.ipv4, 22), 'still open after a plain reload');
    mark = logMark(lab);
    const again = await lab.serverCli(['reload', '--trial', '20s']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /on trial for 20 s/);
    const announced = await waitForLogAfter(lab, mark, (l) => /^TRIAL: /.test(l.msg));
    assert.equal(announced.via, 'reload');
    assert.equal(announced.trialPorts, 'tcp/22, tcp/80');
    await until('the guard back on trial', 3000, async () =>
      /tcp \. 22 timeout/.test(await lab.nftGuarded()),
    );
    assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false, 'guarded again');
    const open = await lab.clientCli('client', ['open', 'ssh', '-4']);
    assert.equal(open.code, 0, open.stderr);
    await waitForLogAfter(lab, mark, (l) => /^trial confirmed/.test(l.msg));
    await until('the guard without timeouts', 5000, async () => !/timeout/.test(await lab.nftGuarded()));
    assert.equal(await lab.nftGuarded(), 'tcp . 22, tcp . 80');
  });
});
