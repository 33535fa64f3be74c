/**
 * Scenarios 5, 6 and 10 of issue 5: how long a grant lives.
 *   5. after the granted time new connections are refused; an established one survives;
 *   6. a re-knock extends the grant without a duplicate firewall entry;
 *  10. with the daemon killed, grants still expire on time (in the kernel); a restarted daemon
 *      keeps live grants.
 * The server's default grant is short (DEFAULT_S) so that expiry is quick to watch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';
import {
  CLOSED_PROBE_MS,
  logMark,
  reaches,
  revokeGrants,
  until,
  waitClosed,
  waitForLogAfter,
} from '../spa/probes.js';

const DEFAULT_S = 3;
/** Slack for "on time": the probe interval, nft's one-second resolution, a loaded machine. */
const LATE_MS = 4000;

describe('grant lifetime: expiry, re-knock, daemon killed or restarted', () => {
  let spa: SpaLab | undefined;

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ config: [['policy', 'default_duration', `"${DEFAULT_S}s"`]] });
  });
  after(async () => {
    await spa?.teardown();
  });

  /** `spa-client open ARGS` on the client; returns the time of the grant the daemon logged. */
  async function open(lab: SpaLab, args: string[]): Promise<number> {
    const mark = logMark(lab);
    const r = await lab.clientCli('client', ['open', ...args, '-4']);
    assert.equal(r.code, 0, `open ${args.join(' ')}: ${r.stderr}`);
    const grant = await waitForLogAfter(
      lab,
      mark,
      (l) => l.msg === 'grant' && l.address === lab.lab.hosts.client.ipv4,
    );
    return Date.parse(String(grant.time));
  }

  async function clientGrants(lab: SpaLab, port: number) {
    const c = lab.lab.hosts.client.ipv4;
    return (await lab.nftGrants()).filter((g) => g.address === c && g.port === port);
  }

  test('5. after the granted time new connections are refused; an established connection survives', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const grantedAt = await open(lab, ['ssh']);
    const held = await client.hold(server.ipv4, 22, 1000);
    assert.ok(held.ok, `hold: ${JSON.stringify(held)}`);
    assert.ok((await client.echo(held.handle, 'while granted\n')).ok);

    const closedAt = await waitClosed(client, server.ipv4, 22, DEFAULT_S * 1000 + LATE_MS + 2000);
    assert.ok(
      closedAt - grantedAt <= DEFAULT_S * 1000 + LATE_MS,
      `closed ${closedAt - grantedAt} ms after the grant`,
    );
    assert.deepEqual(await clientGrants(lab, 22), [], 'the kernel dropped the element');
    const echo = await client.echo(held.handle, 'after expiry\n', 2000);
    assert.ok(echo.ok, `the established connection still works: ${JSON.stringify(echo)}`);
    assert.equal(
      await reaches(client, server.ipv4, 22, CLOSED_PROBE_MS),
      false,
      'a new connection is refused',
    );
    await client.close(held.handle);
  });

  test('6. a re-knock extends the grant without a duplicate firewall entry', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    await open(lab, ['ssh', '--duration', '30s']);
    const first = await clientGrants(lab, 22);
    assert.equal(first.length, 1, JSON.stringify(first));
    // Let the element age by a couple of seconds (nft reports whole seconds).
    const aged = await until('the grant to age', 8000, async () => {
      const g = await clientGrants(lab, 22);
      return g.length === 1 && (g[0]?.expires ?? 99) <= 27 ? g[0] : undefined;
    });

    await open(lab, ['ssh', '--duration', '30s']);
    const again = await clientGrants(lab, 22);
    assert.equal(again.length, 1, `one element after the re-knock: ${JSON.stringify(again)}`);
    assert.ok(
      (again[0]?.expires ?? 0) > (aged.expires ?? 0),
      `expiry reset: ${aged.expires} → ${again[0]?.expires}`,
    );
    assert.ok((again[0]?.expires ?? 0) >= 28);

    // A longer re-knock extends it past the first window.
    await open(lab, ['ssh', '--duration', '2m']);
    const longer = await clientGrants(lab, 22);
    assert.equal(longer.length, 1, JSON.stringify(longer));
    assert.ok((longer[0]?.expires ?? 0) > 100, `extended to 2 min: ${JSON.stringify(longer)}`);
    assert.equal((await lab.nftGrants()).length, 1, 'nothing else in the grant sets');
    assert.ok(await reaches(client, server.ipv4, 22));
    await revokeGrants(lab, lab.lab.hosts.client.ipv4);
  });

  test('10. with the daemon killed, grants still expire on time; a restarted daemon keeps live grants', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const attacker = await lab.lab.agent('attacker');

    // (a) kill -9 right after a short grant: it still closes on time, and the guard stays.
    const shortS = 6;
    const grantedAt = await open(lab, ['ssh', '--duration', `${shortS}s`]);
    await lab.stopServer('SIGKILL');
    assert.ok(await reaches(client, server.ipv4, 22), 'the grant outlives the daemon');
    const closedAt = await waitClosed(client, server.ipv4, 22, shortS * 1000 + LATE_MS + 2000);
    const lived = closedAt - grantedAt;
    assert.ok(lived >= (shortS - 1) * 1000, `closed too early: ${lived} ms`);
    assert.ok(lived <= shortS * 1000 + LATE_MS, `closed too late: ${lived} ms`);
    assert.deepEqual(await lab.nftGrants(), []);
    assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false, 'still guarded');
    assert.equal(await reaches(client, server.ipv4, 80, CLOSED_PROBE_MS), false, 'still guarded');

    // (b) A live grant survives a clean restart and a kill -9 + start.
    await lab.startServer();
    await open(lab, ['ssh', '--duration', '2m']);
    const held = await client.hold(server.ipv4, 22, 1000);
    assert.ok(held.ok);
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      await lab.stopServer(signal);
      await lab.startServer();
      const g = await clientGrants(lab, 22);
      assert.equal(g.length, 1, `grant kept over ${signal} + start: ${JSON.stringify(g)}`);
      assert.ok((g[0]?.expires ?? 0) > 60, `with its expiry: ${JSON.stringify(g)}`);
      assert.ok(await reaches(client, server.ipv4, 22), `client still gets in after ${signal} + start`);
      assert.ok((await client.echo(held.handle, `after ${signal}\n`)).ok, 'the held connection too');
      assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false);
    }
    await client.close(held.handle);
    await revokeGrants(lab, lab.lab.hosts.client.ipv4);
  });
});
