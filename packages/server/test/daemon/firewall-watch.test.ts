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
import { runDaemon } from '../../src/daemon/run.js';
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
