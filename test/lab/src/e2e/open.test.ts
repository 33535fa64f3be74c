/**
 * Scenario 1: closed by default; a knock opens the guarded port for the knocking source
 * only; IPv4 and IPv6. Real libpcap capture, real nftables, real namespaces.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';

describe('open: closed by default, opens for the knocking source only', () => {
  let spa: SpaLab | undefined;
  let available = true;

  before(async (t) => {
    available = labAvailable(t as unknown as { skip(m?: string): void });
    if (available) spa = await startSpaLab();
  });
  after(async () => {
    await spa?.teardown();
  });

  test('the guarded ports are closed to everyone before a knock (v4 and v6)', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const { server } = spa.lab.hosts;
    for (const host of ['client', 'attacker'] as const) {
      const a = await spa.lab.agent(host);
      for (const addr of [server.ipv4, server.ipv6]) {
        for (const port of [22, 80]) {
          const r = await a.connect(addr, port, 400);
          assert.equal(r.ok, false, `${host} → [${addr}]:${port} must be closed`);
        }
      }
    }
    // An unguarded port stays reachable: spa hides only what it guards.
    const srvAgent = await spa.lab.agent('server');
    const l = await srvAgent.listenTcp(8080, '0.0.0.0');
    assert.ok(l.ok);
    assert.ok((await (await spa.lab.agent('client')).connect(server.ipv4, 8080, 1000)).ok);
  });

  test('IPv4: spa-client open ssh opens 22 for the client only, not 80, not the attacker', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const { server } = spa.lab.hosts;
    const r = await spa.clientCli('client', ['open', 'ssh', '-4', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { ok: boolean; status: string };
    assert.equal(result.ok, true);
    assert.equal(result.status, 'open', 'the guard dropped the pre-knock probe: opened by this knock');
    const client = await spa.lab.agent('client');
    const c = await client.connect(server.ipv4, 22, 1000, { banner: true });
    assert.ok(c.ok, 'client reaches ssh');
    assert.equal(c.banner, spa.services.banner(22));
    assert.equal((await client.connect(server.ipv4, 80, 400)).ok, false, 'web stays closed');
    assert.equal((await client.connect(server.ipv6, 22, 400)).ok, false, 'the v6 address was not opened');
    const attacker = await spa.lab.agent('attacker');
    assert.equal((await attacker.connect(server.ipv4, 22, 400)).ok, false, 'attacker still shut out');
    const grants = await spa.nftGrants();
    assert.deepEqual(
      grants.map((g) => `${g.address} ${g.proto} ${g.port}`),
      [`${spa.lab.hosts.client.ipv4} tcp 22`],
    );
    const log = await spa.waitForLog((l) => l.msg === 'grant');
    assert.equal(log.client, 'alice');
    assert.equal(log.address, spa.lab.hosts.client.ipv4);
    // Again while the grant lives: the port answers before the knock, and the client says so.
    const again = await spa.clientCli('client', ['open', 'ssh', '-4']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^ssh on web1 was already open before the knock/);
  });

  test('IPv6: open over v6 grants the v6 source address', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const { server, client: clientHost } = spa.lab.hosts;
    const r = await spa.clientCli('client', ['open', 'web', '-6']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /web on web1 is open/);
    const client = await spa.lab.agent('client');
    assert.ok((await client.connect(server.ipv6, 80, 1000)).ok, 'client reaches web over v6');
    const attacker = await spa.lab.agent('attacker');
    assert.equal((await attacker.connect(server.ipv6, 80, 400)).ok, false);
    const grants = await spa.nftGrants();
    assert.ok(
      grants.some((g) => g.address === clientHost.ipv6 && g.port === 80),
      JSON.stringify(grants),
    );
  });
});
