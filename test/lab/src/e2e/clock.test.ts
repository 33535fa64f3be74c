/**
 * Issue 12, items 1 and 5, in the lab: the daemon's wall clock steps (a preloaded shim shifts
 * its Date.now on a signal, spa/clock-shim.ts; the host's clock is never touched), and its replay
 * store is lost or damaged after a kill -9.
 *   a. +40 s for a moment, a SYN into the sequence range (the roll prunes), clock back: the
 *      attacker's replay of a knock sniffed a moment earlier is refused, not granted;
 *   b. a daemon started 300 s ahead, then corrected: the client opens again within seconds;
 *   c. 180 s forward and back: no long lockout;
 *   d. kill -9, the store deleted / its last record cut, restart: the replay is refused (and the
 *      damage logged at warn); the client opens with a fresh knock.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { labAvailable } from '../lab/index.js';
import { type SpaLab, startSpaLab } from '../spa/fixture.js';
import { KnockMaker } from '../spa/knocks.js';
import {
  CLOSED_PROBE_MS,
  grantsAfter,
  logMark,
  reaches,
  revokeGrants,
  until,
  waitForLogAfter,
} from '../spa/probes.js';
import { KnockTap, type TappedKnock } from '../spa/tap.js';

const SHIM = join(dirname(fileURLToPath(import.meta.url)), '../spa/clock-shim.js');
const STEP_MS = 30_000;
/** A short future skew keeps the lost-store wait (start + max future) short. */
const MAX_FUTURE_S = 5;
/** How soon after the clock is put right the client must open again (the daemon looks every 5 s). */
const REOPEN_BOUND_MS = 20_000;

describe('wall-clock steps and a lost replay store', () => {
  let spa: SpaLab | undefined;
  let maker: KnockMaker;
  let offsetFile: string;

  before(async (t) => {
    if (!labAvailable(t as unknown as { skip(m?: string): void })) return;
    spa = await startSpaLab({ config: [['knock', 'max_future', `"${MAX_FUTURE_S}s"`]], start: false });
    maker = new KnockMaker(spa.uris.get('alice')!);
    offsetFile = join(spa.dir, 'clock-offset');
    await startShifted(spa, 0);
  });
  after(async () => {
    await spa?.teardown();
  });

  /** (Re)start the daemon with its wall clock `offsetMs` off. */
  async function startShifted(lab: SpaLab, offsetMs: number): Promise<void> {
    writeFileSync(offsetFile, String(offsetMs));
    await lab.startServer(15_000, [], {
      args: ['--import', SHIM],
      env: { ...process.env, SPA_CLOCK_SHIM_FILE: offsetFile },
    });
  }

  /** Each scenario starts from a daemon just (re)started with a right clock and no grants. */
  async function fresh(lab: SpaLab): Promise<void> {
    await lab.stopServer('SIGTERM');
    await revokeGrants(lab, lab.lab.hosts.client.ipv4, lab.lab.hosts.attacker.ipv4).catch(() => undefined);
    await startShifted(lab, 0);
  }

  /** Step the running daemon's wall clock to `offsetMs` off; resolves once the shim read it. */
  async function setOffset(lab: SpaLab, offsetMs: number): Promise<void> {
    const server = lab.server!;
    const reads = () => server.stderr.filter((l) => l.startsWith('[clock-shim]')).length;
    const before = reads();
    writeFileSync(offsetFile, String(offsetMs));
    process.kill(server.pid!, 'SIGWINCH');
    await until('the clock shim to read the offset', 3000, () => reads() > before, 20);
  }

  /** The real client opens ssh and the server host records its knock (what a sniffer has). */
  async function openAndSniff(lab: SpaLab): Promise<TappedKnock[]> {
    const clientHost = lab.lab.hosts.client;
    const tap = await KnockTap.start(lab, maker);
    const mark = logMark(lab);
    const open = await lab.clientCli('client', ['open', 'ssh', '-4', '--json']);
    assert.equal(open.code, 0, open.stderr);
    const knocks = await tap.knocksFrom(clientHost.ipv4);
    await tap.stop();
    await waitForLogAfter(lab, mark, (l) => l.msg === 'grant' && l.address === clientHost.ipv4);
    return knocks;
  }

  /** The attacker resends each sniffed knock; returns the reasons the daemon gave. */
  async function replay(lab: SpaLab, knocks: readonly TappedKnock[]): Promise<string[]> {
    const attackerHost = lab.lab.hosts.attacker;
    const attacker = await lab.lab.agent('attacker');
    const reasons: string[] = [];
    for (const k of knocks) {
      const mark = logMark(lab);
      assert.ok((await attacker.udp(lab.lab.hosts.server.ipv4, k.port, k.payload)).ok);
      const outcome = await until('a grant or a rejection for the replay', 5000, () =>
        lab
          .logs()
          .slice(mark)
          .find(
            (l) =>
              (l.msg === 'grant' && l.address === attackerHost.ipv4) ||
              (l.msg === 'knock rejected' &&
                (l.packet as { source?: string } | undefined)?.source === attackerHost.ipv4),
          ),
      );
      reasons.push(outcome.msg === 'grant' ? 'GRANTED' : String(outcome.reason));
    }
    return reasons;
  }

  /** How long until `spa-client open ssh` succeeds (retried), or throws past `boundMs`. */
  async function timeToOpen(lab: SpaLab, boundMs: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      const open = await lab.clientCli('client', ['open', 'ssh', '-4', '--json'], 30_000);
      if (open.code === 0) return Date.now() - t0;
      if (Date.now() - t0 > boundMs) throw new Error(`the client could not open ssh within ${boundMs} ms`);
    }
  }

  /** Waits until the wall clock is early in a step (so +40 s lands exactly one step on). */
  async function earlyInStep(): Promise<void> {
    await until('the first 10 s of a step', STEP_MS + 1000, () => Date.now() % STEP_MS < 10_000, 200);
  }

  test('a. +40 s for a moment, a SYN into the sequence range, clock back: the sniffed knock stays a replay', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server, client: clientHost, attacker: attackerHost } = lab.lab.hosts;
    const attacker = await lab.lab.agent('attacker');
    await fresh(lab);
    await earlyInStep();
    const knocks = await openAndSniff(lab);
    const mark = logMark(lab);

    await setOffset(lab, 40_000);
    // One SYN into the sequence range: captured, it rolls the step (and the roll prunes). The
    // roll re-arms the capture filter (K = 2), which the daemon logs: the moment to step back.
    await attacker.connect(server.ipv4, 50_001, 300);
    await waitForLogAfter(lab, mark, (l) => l.msg === 'capture filter re-armed', 8000);
    await setOffset(lab, 0);

    const reasons = await replay(lab, knocks);
    assert.deepEqual(
      reasons,
      knocks.map(() => 'replay'),
      'the replays after the step back',
    );
    assert.equal(grantsAfter(lab, mark, attackerHost.ipv4).length, 0, 'nothing granted to the attacker');
    assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false);
    const steps = lab
      .logs()
      .slice(mark)
      .filter((l) => l.msg === 'wall clock stepped')
      .map((l) => Number(l.stepMs));
    assert.ok(
      steps.some((s) => Math.abs(s - 40_000) < 1000),
      `+40 s logged: ${steps}`,
    );
    assert.ok(
      lab
        .logs()
        .slice(mark)
        .some((l) => l.msg === 'wall clock stepped' && l.level === 40),
      'at warn',
    );
    await revokeGrants(lab, clientHost.ipv4);
  });

  test('b. started 300 s ahead, then corrected: the client opens again within seconds', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    await fresh(lab);
    await lab.stopServer('SIGTERM');
    await startShifted(lab, 300_000);
    const mark = logMark(lab);
    await setOffset(lab, 0);
    const took = await timeToOpen(lab, REOPEN_BOUND_MS);
    t.diagnostic(`the client opened ${took} ms after the clock was corrected`);
    assert.ok(took <= REOPEN_BOUND_MS);
    await waitForLogAfter(lab, mark, (l) => l.msg === 'wall clock stepped' && Number(l.stepMs) < -299_000);
    await revokeGrants(lab, lab.lab.hosts.client.ipv4);
  });

  test('c. 180 s forward and back: no long lockout', async (t) => {
    if (!labAvailable(t) || !spa) return;
    const lab = spa;
    const { server } = lab.lab.hosts;
    const attacker = await lab.lab.agent('attacker');
    await fresh(lab);
    const mark = logMark(lab);
    await setOffset(lab, 180_000);
    await attacker.connect(server.ipv4, 50_002, 300); // a packet to roll on, as in (a)
    await waitForLogAfter(lab, mark, (l) => l.msg === 'capture filter re-armed', 8000);
    await setOffset(lab, 0);
    const took = await timeToOpen(lab, REOPEN_BOUND_MS);
    t.diagnostic(`the client opened ${took} ms after the clock was put back`);
    const steps = lab
      .logs()
      .slice(mark)
      .filter((l) => l.msg === 'wall clock stepped')
      .map((l) => Number(l.stepMs));
    assert.ok(
      steps.some((s) => Math.abs(s - 180_000) < 1000),
      `+180 s logged: ${steps}`,
    );
    assert.ok(
      steps.some((s) => Math.abs(s + 180_000) < 1000),
      `-180 s logged: ${steps}`,
    );
    await revokeGrants(lab, lab.lab.hosts.client.ipv4);
  });

  const damages: Array<[string, (file: string) => void, string]> = [
    ['deleted', (file) => rmSync(file), 'missing'],
    ['last record cut short', (file) => truncateSync(file, readFileSync(file).length - 7), 'truncated'],
  ];
  for (const [what, damage, kind] of damages) {
    test(`d. kill -9, the replay store ${what}, restart: the replay is refused; the client opens with a fresh knock`, async (t) => {
      if (!labAvailable(t) || !spa) return;
      const lab = spa;
      const { server, client: clientHost, attacker: attackerHost } = lab.lab.hosts;
      const attacker = await lab.lab.agent('attacker');
      await fresh(lab);
      const knocks = await openAndSniff(lab);
      await lab.stopServer('SIGKILL');
      damage(join(lab.stateDir, 'replay.log'));
      await startShifted(lab, 0);
      // The kill -9 left the client's grant in the kernel: take it away to see a fresh open.
      await revokeGrants(lab, clientHost.ipv4);
      const mark = logMark(lab);
      const reasons = await replay(lab, knocks);
      assert.deepEqual(
        reasons,
        knocks.map(() => 'forgotten'),
        `the replays after the store was ${what}`,
      );
      assert.equal(grantsAfter(lab, mark, attackerHost.ipv4).length, 0);
      assert.equal(await reaches(attacker, server.ipv4, 22, CLOSED_PROBE_MS), false);
      const warn = await lab.waitForLog((l) => l.msg.startsWith('replay store damaged'));
      assert.equal(warn.level, 40);
      assert.equal(warn.damage, kind);
      assert.equal(typeof warn.skipped, 'number');
      const took = await timeToOpen(lab, (MAX_FUTURE_S + 15) * 1000);
      t.diagnostic(`the client opened ${took} ms after the restart's replays`);
      await revokeGrants(lab, clientHost.ipv4);
    });
  }
});
