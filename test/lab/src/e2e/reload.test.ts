/**
 * Scenario 9 of issue 5: a reload (`spa-server reload`, or a plain SIGHUP) adds a client without
 * dropping live grants; `spa-server revoke ADDRESS` ends one address's access at once, and
 * `revoke-client` + reload refuses a client's further knocks.
 * Hosts: alice on `client`, bob (added later) on `client2`.
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
  waitClosed,
  waitForLogAfter,
  waitForRejection,
} from '../spa/probes.js';

describe('reload and revoke', () => {
  let spa: SpaLab | undefined;

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ extraHosts: ['client2'] });
  });
  after(async () => {
    await spa?.teardown();
  });

  /** `spa-server reload` (SIGHUP through the pid file), or a plain `kill -HUP`; waits for the result. */
  async function reload(lab: SpaLab, clients: number, via: 'cli' | 'signal'): Promise<void> {
    const mark = logMark(lab);
    if (via === 'cli') {
      const r = await lab.serverCli(['reload']);
      assert.equal(r.code, 0, `spa-server reload: ${r.stderr}`);
    } else {
      assert.ok(lab.server?.pid);
      process.kill(lab.server.pid, 'SIGHUP');
    }
    const line = await waitForLogAfter(lab, mark, (l) => l.msg === 'reloaded' || /reload failed/.test(l.msg));
    assert.equal(line.msg, 'reloaded', JSON.stringify(line));
    assert.equal(line.clients, clients);
  }

  test('9. SIGHUP adds a client without dropping live grants; revoke ends access', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: aliceHost, client2: bobHost } = lab.lab.hosts;
    assert.ok(bobHost);
    const alice = await lab.lab.agent('client');
    const bob = await lab.lab.agent('client2');

    // alice is in, with a connection held open.
    const open = await lab.clientCli('client', ['open', 'ssh', '-4']);
    assert.equal(open.code, 0, open.stderr);
    const held = await alice.hold(server.ipv4, 22, 1000);
    assert.ok(held.ok);
    const aliceGrant = (await lab.nftGrants()).filter((g) => g.address === aliceHost.ipv4);
    assert.equal(aliceGrant.length, 1);

    // bob is added to the file; until the reload his knocks are unknown to the daemon.
    await lab.addClient('bob', ['ssh'], 'client2');
    let mark = logMark(lab);
    const early = await lab.clientCli('client2', ['open', 'ssh', '-4', '--no-wait']);
    assert.equal(early.code, 0, early.stderr);
    assert.equal((await waitForRejection(lab, mark, bobHost.ipv4)).reason, 'client', 'bob before the reload');
    assert.equal(await reaches(bob, server.ipv4, 22, CLOSED_PROBE_MS), false);

    await reload(lab, 2, 'cli');
    assert.ok(lab.server?.running, 'the same daemon process');
    assert.ok((await alice.echo(held.handle, 'after reload\n')).ok, "alice's connection survived");
    assert.ok(await reaches(alice, server.ipv4, 22), 'alice can still connect anew');
    assert.deepEqual(
      (await lab.nftGrants()).filter((g) => g.address === aliceHost.ipv4).map((g) => g.port),
      [22],
      "alice's grant is still in the kernel",
    );

    mark = logMark(lab);
    const bobOpen = await lab.clientCli('client2', ['open', 'ssh', '-4']);
    assert.equal(bobOpen.code, 0, `bob after the reload: ${bobOpen.stderr}`);
    const bobGrant = await waitForLogAfter(lab, mark, (l) => l.msg === 'grant' && l.client === 'bob');
    assert.equal(bobGrant.address, bobHost.ipv4);
    assert.ok(await reaches(bob, server.ipv4, 22), 'bob is in');
    assert.equal(await reaches(bob, server.ipv4, 80, CLOSED_PROBE_MS), false, 'bob may not open web');

    // revoke ADDRESS ends alice's access now, and only hers.
    await revokeGrants(lab, aliceHost.ipv4);
    await waitClosed(alice, server.ipv4, 22, 3000);
    assert.ok(await reaches(bob, server.ipv4, 22), 'bob keeps his grant');
    assert.deepEqual(
      (await lab.nftGrants()).map((g) => g.address),
      [bobHost.ipv4],
    );

    // revoke-client + reload: bob's next knock is refused; revoke ADDRESS ends his live grant.
    const rc = await lab.serverCli(['revoke-client', 'bob']);
    assert.equal(rc.code, 0, rc.stderr);
    await reload(lab, 2, 'signal');
    await revokeGrants(lab, bobHost.ipv4);
    await waitClosed(bob, server.ipv4, 22, 3000);
    mark = logMark(lab);
    const refused = await lab.clientCli('client2', ['open', 'ssh', '-4', '--no-wait']);
    assert.equal(refused.code, 0, refused.stderr);
    const reason = (await waitForRejection(lab, mark, bobHost.ipv4)).reason;
    t.diagnostic(`a revoked client's knock after the reload: ${reason}`);
    assert.ok(['client', 'policy-revoked'].includes(reason), `revoked bob: ${reason}`);
    assert.equal(await reaches(bob, server.ipv4, 22, CLOSED_PROBE_MS), false, 'revoked bob stays out');

    // alice, untouched by all this, can knock again.
    const back = await lab.clientCli('client', ['open', 'ssh', '-4']);
    assert.equal(back.code, 0, back.stderr);
    assert.ok(await reaches(alice, server.ipv4, 22));
    await alice.close(held.handle);
  });
});
