/**
 * Issue 12, item 6, on fakes: another tool removes the guard (`nft flush ruleset`). Before, the
 * next grant failed ("No such file or directory") and the ports stayed open until a SIGHUP;
 * now the daemon notices at once on the failing grant (and retries it) or by its periodic
 * check, rebuilds the guard with the live grants, and logs it at error.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Daemon } from '../../src/daemon/daemon.js';
import { FirewallWatch, WATCH_EVERY_MS } from '../../src/daemon/firewall-watch.js';
import { runDaemon } from '../../src/daemon/run.js';
import type { Firewall } from '../../src/firewall/index.js';
import { FIXTURE_HOST, memoryLog, NOW, stateDir } from '../pipeline/_harness.js';
import { FakeFirewall } from '../support/fake-firewall.js';
import { FakePacketSource } from '../support/fake-source.js';
import { Fixture } from '../support/fixture.js';

async function launch(watchEveryMs: number) {
  const fixture = new Fixture({ stateDir: stateDir(), logLevel: 'debug' });
  const firewall = new FakeFirewall({ now: () => NOW });
  const source = new FakePacketSource({ now: () => NOW });
  const signals = new EventEmitter();
  const log = memoryLog();
  let daemon!: Daemon;
  let stop!: () => Promise<void>;
  const up = new Promise<void>((resolve) => {
    const done = runDaemon({
      configPath: fixture.config.path,
      logger: log.logger,
      deps: {
        source,
        firewall,
        signals,
        clock: { now: () => NOW, monotonic: () => 0 },
        hostAddresses: () => FIXTURE_HOST,
        loadConfig: () => fixture.config,
      },
      testSeams: {
        watchEveryMs,
        onReady: (d) => {
          daemon = d;
          resolve();
        },
      },
    });
    stop = async () => {
      signals.emit('SIGTERM');
      await done;
    };
  });
  await up;
  return { fixture, firewall, source, log, daemon, stop };
}

const rebuilt = (l: Record<string, unknown>) => /guard was removed by something else/.test(String(l.msg));

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond()) && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  assert.ok(await cond(), `timed out waiting for ${what}`);
}

describe('self-healing firewall (daemon on fakes)', () => {
  it('a grant that fails because the guard is gone: rebuilt at once with the live grants, the grant retried', async () => {
    const r = await launch(60_000); // the periodic check will not run in this test
    const f = r.fixture;
    r.source.push(f.udp(f.knock('alice', NOW), NOW, { src: '198.51.100.7' }));
    await r.daemon.pipeline.idle();
    assert.equal(r.firewall.grants().length, 1);
    r.firewall.sabotage();
    assert.equal(await r.firewall.intact(), false);
    r.source.push(f.udp(f.knock('bob', NOW), NOW, { src: '198.51.100.8' }));
    await r.daemon.pipeline.idle();
    assert.equal(await r.firewall.intact(), true, 'the guard is back');
    assert.deepEqual(
      r.firewall.guarded?.map((p) => p.port).sort((a, b) => a - b),
      [22, 53, 443],
    );
    assert.deepEqual(
      r.firewall
        .grants()
        .map((g) => g.address)
        .sort(),
      ['198.51.100.7', '198.51.100.8'],
      "alice's grant restored, bob's granted",
    );
    assert.equal(r.daemon.counters().grant, 2, 'bob was granted, not refused');
    const line = r.log.records().find(rebuilt);
    assert.ok(line, 'logged');
    assert.equal(line.level, 50, 'at error');
    assert.equal(line.noticed, 'grant-failed');
    assert.equal(line.grantsRestored, 1);
    await r.stop();
  });

  it('with no knock, the periodic check notices and rebuilds', async () => {
    const r = await launch(20);
    r.firewall.sabotage();
    await until(() => r.firewall.intact(), 'the rebuild');
    await until(() => r.log.records().some(rebuilt), 'the error line');
    assert.equal(r.log.records().find(rebuilt)?.noticed, 'periodic');
    await r.stop();
    const starts = r.firewall.calls.filter((c) => c.method === 'start').length;
    await new Promise((res) => setTimeout(res, 60));
    assert.equal(r.firewall.calls.filter((c) => c.method === 'start').length, starts, 'no check after stop');
  });
});

describe('a guard that cannot be rebuilt (FirewallWatch on a stub)', () => {
  // The attack: keep the guard broken (another tool fights spa for the table, nft gone, a
  // full disk) so the daemon retries every 2 s forever. Before, each retry wrote an error line:
  // 1,800 an hour, burying everything else in the journal. Now the first failure is logged at
  // once, then at most one line a minute with the attempts so far, and the recovery with the count.
  /** A watch on a firewall with only `intact` and `heal`, and a clock the test moves. */
  function stubbed(parts: Pick<Firewall, 'intact' | 'heal'>) {
    let clock = 0;
    const log = memoryLog();
    const watch = new FirewallWatch({
      firewall: { name: 'stub', ...parts } as unknown as Firewall,
      guarded: () => [],
      log: log.logger,
      serial: (job) => job(),
      now: () => clock,
    });
    return {
      watch,
      log,
      advance: (ms: number) => {
        clock += ms;
      },
    };
  }

  it('retrying every 2 s for 10 minutes logs one error a minute, each with the attempts, and the recovery once', async () => {
    let healable = false;
    const s = stubbed({
      intact: async () => false,
      heal: async () => {
        if (!healable) throw new Error('nft: Could not process rule: No such file or directory');
        return 0;
      },
    });
    for (let i = 0; i < 300; i++) {
      assert.equal(await s.watch.check('periodic'), false);
      s.advance(WATCH_EVERY_MS);
    }
    const failing = s.log.records().filter((l) => /could not be rebuilt/.test(String(l.msg)));
    assert.ok(failing.length >= 10 && failing.length <= 11, `${failing.length} error lines for 300 retries`);
    assert.equal(failing[0]?.level, 50, 'at error');
    assert.equal(failing[0]?.failedAttempts, 1, 'the first failure at once');
    assert.ok(Number(failing.at(-1)?.failedAttempts) >= 250, 'the later lines carry the count');
    healable = true;
    assert.equal(await s.watch.check('periodic'), true);
    const back = s.log.records().filter(rebuilt);
    assert.equal(back.length, 1);
    assert.equal(back[0]?.failedAttempts, 300, 'the recovery says how many attempts failed');
    assert.equal(s.watch.heals, 1);
    // A new failure after the recovery is news again: logged at once, counted from 1.
    healable = false;
    s.advance(WATCH_EVERY_MS);
    assert.equal(await s.watch.check('periodic'), false);
    const again = s.log.records().filter((l) => /could not be rebuilt/.test(String(l.msg)));
    assert.equal(again.length, failing.length + 1);
    assert.equal(again.at(-1)?.failedAttempts, 1);
  });

  it('a guard that cannot even be checked is warned about once a minute, not every 2 s', async () => {
    const { watch, log, advance } = stubbed({
      intact: async () => {
        throw new Error('nft: timed out');
      },
      heal: async () => 0,
    });
    for (let i = 0; i < 90; i++) {
      await watch.check('periodic'); // each time: cannot check, so rebuilt to be safe
      advance(WATCH_EVERY_MS);
    }
    const warned = log.records().filter((l) => /could not check the firewall guard/.test(String(l.msg)));
    assert.ok(
      warned.length >= 3 && warned.length <= 4,
      `${warned.length} warnings for 90 checks in 3 minutes`,
    );
    assert.equal(warned[0]?.failedAttempts, 1);
    assert.equal(
      log.records().filter(rebuilt).length,
      0,
      'a rebuild to be safe is not reported as a removal',
    );
  });
});
