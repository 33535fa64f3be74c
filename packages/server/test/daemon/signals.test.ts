/**
 * Issue 12, item 2, on fakes: signals that arrive while the daemon starts. Before the fix a
 * SIGHUP before `listening` found no handler (exit 129); now it is queued and applied once
 * ready, and a SIGTERM then stops the daemon cleanly as soon as it has started.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { Daemon } from '../../src/daemon/daemon.js';
import type { Notifier } from '../../src/daemon/notify.js';
import { runDaemon } from '../../src/daemon/run.js';
import type { GuardedPort } from '../../src/firewall/firewall.js';
import { memoryLog, NOW, stateDir } from '../pipeline/_harness.js';
import { FakeFirewall } from '../support/fake-firewall.js';
import { FakePacketSource } from '../support/fake-source.js';
import { Fixture } from '../support/fixture.js';

/** A firewall whose start() waits until released: the daemon is "starting" until then. */
class SlowFirewall extends FakeFirewall {
  #release: (() => void) | undefined;
  #gate: Promise<void> | undefined = new Promise((r) => {
    this.#release = r;
  });
  release(): void {
    this.#release?.();
  }
  override async start(guarded: GuardedPort[]): Promise<void> {
    const gate = this.#gate;
    this.#gate = undefined; // only the first start (reloads pass straight through)
    if (gate) await gate;
    return super.start(guarded);
  }
}

function recorder(): Notifier & { messages: string[] } {
  const messages: string[] = [];
  return {
    messages,
    enabled: true,
    ready: () => messages.push('READY=1'),
    reloading: () => messages.push('RELOADING=1'),
    stopping: () => messages.push('STOPPING=1'),
  };
}

function launch(held?: NodeJS.Signals[]) {
  const fixture = new Fixture({ stateDir: stateDir(), logLevel: 'debug' });
  const firewall = new SlowFirewall({ now: () => NOW });
  const signals = new EventEmitter();
  const notifier = recorder();
  const log = memoryLog();
  let loads = 0;
  let ready: Daemon | undefined;
  const done = runDaemon({
    configPath: fixture.config.path,
    logger: log.logger,
    deps: {
      source: new FakePacketSource({ now: () => NOW }),
      firewall,
      signals,
      clock: { now: () => NOW, monotonic: () => 0 },
      loadConfig: () => {
        loads++;
        return fixture.config;
      },
    },
    notifier,
    testSeams: {
      ...(held ? { heldSignals: held } : {}),
      onReady: (d) => {
        ready = d;
      },
    },
  });
  return { firewall, signals, notifier, log, done, loads: () => loads, ready: () => ready };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

describe('signals while starting', () => {
  it('SIGHUP before ready is queued (twice → one reload) and applied once ready; READY, RELOADING, READY', async () => {
    const r = launch();
    assert.ok(r.signals.listenerCount('SIGHUP') > 0, 'a SIGHUP handler is installed before start completes');
    r.signals.emit('SIGHUP');
    r.signals.emit('SIGHUP');
    assert.equal(r.ready(), undefined, 'not ready yet');
    r.firewall.release();
    await until(() => r.log.records().some((l) => l.msg === 'reloaded'), 'the queued reload');
    await until(() => r.notifier.messages.length >= 3, 'READY after the reload');
    assert.equal(r.loads(), 2, 'start + one reload');
    assert.deepEqual(r.notifier.messages, ['READY=1', 'RELOADING=1', 'READY=1']);
    assert.ok(r.log.records().some((l) => /reload is queued/.test(String(l.msg))));
    r.signals.emit('SIGTERM');
    await r.done;
    assert.deepEqual(r.notifier.messages.at(-1), 'STOPPING=1');
  });

  it('SIGTERM before ready: the daemon starts, then stops cleanly (guard kept), never reports ready', async () => {
    const r = launch();
    r.signals.emit('SIGTERM');
    r.firewall.release();
    await r.done;
    assert.equal(r.ready(), undefined);
    assert.deepEqual(r.firewall.calls.at(-1), { method: 'stop', mode: 'keep' });
    assert.deepEqual(r.notifier.messages, ['STOPPING=1']);
    assert.equal(r.signals.listenerCount('SIGHUP'), 0, 'handlers removed');
  });

  it('SIGHUPs during a reload make one more reload after it, each framed RELOADING … READY', async () => {
    const r = launch();
    r.firewall.release();
    await until(() => r.ready() !== undefined, 'ready');
    r.signals.emit('SIGHUP');
    r.signals.emit('SIGHUP');
    r.signals.emit('SIGHUP');
    await until(() => r.log.records().filter((l) => l.msg === 'reloaded').length === 2, 'two reloads');
    await until(() => r.notifier.messages.length === 5, 'READY after the second reload');
    assert.deepEqual(r.notifier.messages, ['READY=1', 'RELOADING=1', 'READY=1', 'RELOADING=1', 'READY=1']);
    r.signals.emit('SIGTERM');
    await r.done;
  });

  it('signals the bin held before the handlers were installed are applied like live ones', async () => {
    const r = launch(['SIGHUP']);
    r.firewall.release();
    await until(() => r.log.records().some((l) => l.msg === 'reloaded'), 'the held reload');
    r.signals.emit('SIGTERM');
    await r.done;
    assert.deepEqual(r.notifier.messages, ['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1']);
  });
});
