/**
 * Scenarios 2, 3, 4 and 11 of issue 5: knocks that must open nothing.
 *   2. a replayed knock (from the attacker, from the client itself, after a restart, after kill -9);
 *   3. tampered knocks (bit flips, truncation), with the daemon still running afterwards;
 *   4. a knock made for another server id;
 *  11. clock skew beyond the window (rejected) and within it (accepted).
 * The real client's knocks are recorded on the server host (./spa/tap.ts); the others are
 * built in this process with the protocol core from alice's profile (./spa/knocks.ts) and sent
 * from a lab host by its agent. Every check is on what the hosts can reach, plus the reason
 * the daemon logged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LOOKUP_OFFSET } from '@spa/shared';
import { type Agent, labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';
import { flipBit, KnockMaker, otherServerId } from '../spa/knocks.js';
import {
  CLOSED_PROBE_MS,
  grantsAfter,
  logMark,
  reaches,
  revokeGrants,
  until,
  waitForLogAfter,
  waitForRejection,
} from '../spa/probes.js';
import { KnockTap } from '../spa/tap.js';

/**
 * A wide past window so that the replay scenario (two daemon restarts) surely stays inside it
 * on a loaded machine: a replay must be refused as `replay`, not merely as `stale`.
 */
const MAX_PAST_S = 90;
const MAX_FUTURE_S = 30; // the default

describe('knocks that must open nothing: replays, tampering, another server, clock skew', () => {
  let spa: SpaLab | undefined;
  let maker: KnockMaker;

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ config: [['knock', 'max_past', `"${MAX_PAST_S}s"`]] });
    maker = new KnockMaker(spa.uris.get('alice')!);
  });
  after(async () => {
    await spa?.teardown();
  });

  /** Sends `payload` from `from` and returns the reason the daemon logged for it. */
  async function sendAndGetReason(
    lab: SpaLab,
    from: Agent,
    fromAddress: string,
    port: number,
    payload: Uint8Array,
  ): Promise<string> {
    const mark = logMark(lab);
    const sent = await from.udp(lab.lab.hosts.server.ipv4, port, payload);
    assert.ok(sent.ok, `send from ${from.host}: ${JSON.stringify(sent)}`);
    return (await waitForRejection(lab, mark, fromAddress)).reason;
  }

  /** Nothing of the guarded ports is reachable from `agent` and no grant is in the kernel for it. */
  async function assertShut(lab: SpaLab, agent: Agent, address: string, why: string): Promise<void> {
    const { server } = lab.lab.hosts;
    for (const port of [22, 80]) {
      assert.equal(await reaches(agent, server.ipv4, port, CLOSED_PROBE_MS), false, `${why}: port ${port}`);
    }
    const grants = (await lab.nftGrants()).filter((g) => g.address === address);
    assert.deepEqual(grants, [], `${why}: no grant for ${address} in nftables`);
  }

  test('2. a replayed knock opens nothing: from the attacker, from the client, after a restart and after kill -9', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost, attacker: attackerHost } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const attacker = await lab.lab.agent('attacker');

    // The client opens ssh for real; the server host keeps a copy of every knock it sent.
    const tap = await KnockTap.start(lab, maker);
    const mark = logMark(lab);
    const open = await lab.clientCli('client', ['open', 'ssh', '-4', '--json']);
    assert.equal(open.code, 0, open.stderr);
    const knocks = await tap.knocksFrom(clientHost.ipv4);
    await tap.stop();
    await waitForLogAfter(lab, mark, (l) => l.msg === 'grant' && l.address === clientHost.ipv4);
    assert.ok(await reaches(client, server.ipv4, 22), 'the client got in');
    assert.ok(knocks.every((k) => k.payload.length === 336));

    // (a) The attacker resends the exact bytes while the client's grant is live.
    for (const k of knocks) {
      const reason = await sendAndGetReason(lab, attacker, attackerHost.ipv4, k.port, k.payload);
      assert.equal(reason, 'replay', 'attacker replay');
    }
    await assertShut(lab, attacker, attackerHost.ipv4, 'attacker after replaying');
    assert.deepEqual(
      (await lab.nftGrants()).map((g) => `${g.address} ${g.proto} ${g.port}`),
      [`${clientHost.ipv4} tcp 22`],
      'only the client is granted',
    );

    // (b) The client itself resends its knock after its grant was revoked.
    await revokeGrants(lab, clientHost.ipv4);
    await assertShut(lab, client, clientHost.ipv4, 'client after revoke');
    for (const k of knocks) {
      assert.equal(await sendAndGetReason(lab, client, clientHost.ipv4, k.port, k.payload), 'replay');
    }
    await assertShut(lab, client, clientHost.ipv4, 'client after replaying its own knock');

    // (c) After a clean restart, and (d) after kill -9: the spent ids were persisted.
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      await lab.stopServer(signal);
      await lab.startServer();
      const loaded = await lab.waitForLog((l) => l.msg === 'replay store loaded');
      const remembered = (loaded.replay as { knocks?: number } | undefined)?.knocks ?? 0;
      assert.ok(remembered >= knocks.length, `replay store after ${signal}: ${JSON.stringify(loaded)}`);
      for (const k of knocks) {
        for (const [agent, address] of [
          [client, clientHost.ipv4],
          [attacker, attackerHost.ipv4],
        ] as const) {
          const reason = await sendAndGetReason(lab, agent, address, k.port, k.payload);
          assert.equal(reason, 'replay', `replay from ${agent.host} after ${signal}`);
        }
      }
      await assertShut(lab, client, clientHost.ipv4, `client after ${signal} and replay`);
      await assertShut(lab, attacker, attackerHost.ipv4, `attacker after ${signal} and replay`);
    }
    assert.equal(grantsAfter(lab, 0).length, 0, 'the restarted daemon granted nothing');
  });

  test('3. tampered knocks (bit flips, truncation, extension) are rejected and the daemon keeps running', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const before = await lab.counters();
    const good = maker.knock({ service: 'ssh' });
    const p = good.packet;
    const cases: Array<[string, Uint8Array, string]> = [
      ['nonce bit flipped', flipBit(p, 3), 'client'],
      ['lookup bit flipped', flipBit(p, LOOKUP_OFFSET + 5, 6), 'client'],
      ['ciphertext bit flipped', flipBit(p, 100, 1), 'mac'],
      ['AEAD tag bit flipped', flipBit(p, 295, 4), 'mac'],
      ['knock tag bit flipped', flipBit(p, 335, 7), 'mac'],
      // Only the client's key can make these pass the knock tag: the AEAD must still refuse them.
      ['ciphertext bit flipped, knock tag recomputed', maker.retag(flipBit(p, 40, 2)), 'mac'],
      ['AEAD tag bit flipped, knock tag recomputed', maker.retag(flipBit(p, 300, 0)), 'mac'],
      ['truncated to 335 bytes', p.subarray(0, 335), 'length'],
      ['truncated to 32 bytes', p.subarray(0, 32), 'length'],
      ['one byte', p.subarray(0, 1), 'length'],
      ['one byte appended', Uint8Array.from([...p, 0]), 'length'],
    ];
    for (const [what, bytes, expected] of cases) {
      const reason = await sendAndGetReason(lab, client, clientHost.ipv4, good.port, bytes);
      assert.equal(reason, expected, what);
    }
    await assertShut(lab, client, clientHost.ipv4, 'after tampered knocks');

    assert.ok(lab.server?.running, 'the daemon is still running');
    const afterCounts = await lab.counters();
    const delta = (k: string) => (afterCounts[k] ?? 0) - (before[k] ?? 0);
    assert.equal(delta('client'), 2, JSON.stringify(afterCounts));
    assert.equal(delta('mac'), 5);
    assert.equal(delta('length'), 4);
    assert.equal(delta('grant'), 0);

    // None of that spent the genuine packet: it still opens, so the daemon is fully working.
    const mark = logMark(lab);
    const sent = await client.udp(server.ipv4, good.port, p);
    assert.ok(sent.ok);
    await waitForLogAfter(lab, mark, (l) => l.msg === 'grant' && l.address === clientHost.ipv4);
    assert.ok(await reaches(client, server.ipv4, 22), 'the untampered knock opens');
    await revokeGrants(lab, clientHost.ipv4);
  });

  test('4. a knock made for another server id is rejected', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { client: clientHost } = lab.lab.hosts;
    const client = await lab.lab.agent('client');
    const k = maker.knock({ service: 'ssh', serverId: otherServerId(maker.profile.serverId) });
    assert.equal(await sendAndGetReason(lab, client, clientHost.ipv4, k.port, k.packet), 'server');
    await assertShut(lab, client, clientHost.ipv4, 'after a knock for another server');
  });

  test('11. clock skew: beyond the window rejected (stale/future), within it accepted', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost } = lab.lab.hosts;
    const client = await lab.lab.agent('client');

    // Beyond the window. A client this far off would compute another step's knock port, which
    // the daemon does not even capture; sent to the current port, they reach the time check.
    const now = Date.now();
    const stale = maker.knock({ service: 'ssh', timestampMs: now - (MAX_PAST_S + 5) * 1000 });
    assert.equal(await sendAndGetReason(lab, client, clientHost.ipv4, stale.port, stale.packet), 'stale');
    const future = maker.knock({ service: 'ssh', timestampMs: Date.now() + (MAX_FUTURE_S + 5) * 1000 });
    assert.equal(await sendAndGetReason(lab, client, clientHost.ipv4, future.port, future.packet), 'future');
    await assertShut(lab, client, clientHost.ipv4, 'after skewed knocks');

    // Within the window: late by MAX_PAST_S - 15 s (to the current port) opens ssh; early by
    // 20 s, sent to the port of the client's own (fast) clock, opens web.
    let mark = logMark(lab);
    const late = maker.knock({ service: 'ssh', timestampMs: Date.now() - (MAX_PAST_S - 15) * 1000 });
    assert.ok((await client.udp(server.ipv4, late.port, late.packet)).ok);
    await waitForLogAfter(lab, mark, (l) => l.msg === 'grant' && l.service === 'ssh');
    assert.ok(await reaches(client, server.ipv4, 22), 'a late clock within the window opens ssh');

    mark = logMark(lab);
    const earlyAt = Date.now() + (MAX_FUTURE_S - 10) * 1000;
    const early = maker.knock({ service: 'web', timestampMs: earlyAt });
    assert.ok((await client.udp(server.ipv4, maker.port(earlyAt), early.packet)).ok);
    await waitForLogAfter(lab, mark, (l) => l.msg === 'grant' && l.service === 'web');
    assert.ok(await reaches(client, server.ipv4, 80), 'an early clock within the window opens web');
    await until('both grants in nftables', 3000, async () => (await lab.nftGrants()).length === 2);
    await revokeGrants(lab, clientHost.ipv4);
  });
});
