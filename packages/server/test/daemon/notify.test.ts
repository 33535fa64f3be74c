/**
 * systemd notification over a real AF_UNIX datagram socket (path and abstract), received by a
 * python3 listener with SO_PASSCRED: the messages, their MONOTONIC_USEC, and the sender's pid
 * (NotifyAccess=main accepts only the daemon's own pid).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { monotonicUsec, systemdNotifier } from '../../src/daemon/notify.js';
import { NotifyListener } from './_notify-listener.js';

const dir = mkdtempSync(join(tmpdir(), 'spa-notify-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('systemd notifier (real datagram socket)', () => {
  for (const [kind, address] of [
    ['path', join(dir, 'notify.sock')],
    ['abstract', `@spa-test-notify-${process.pid}-${Date.now()}`],
  ] as const) {
    it(`${kind} socket: READY=1, RELOADING=1 + MONOTONIC_USEC, STOPPING=1, from our own pid`, async (t) => {
      const listener = await NotifyListener.start(address);
      t.after(() => listener.close());
      const warnings: string[] = [];
      const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: address };
      const n = systemdNotifier((msg) => warnings.push(msg), env);
      assert.equal(n.enabled, true);
      assert.equal(env.NOTIFY_SOCKET, undefined, 'removed from the environment children inherit');
      const before = monotonicUsec();
      n.ready();
      n.reloading();
      const afterUsec = monotonicUsec();
      n.ready();
      n.stopping();
      const got = await listener.waitFor(4);
      assert.deepEqual(warnings, []);
      assert.deepEqual(
        got.map((m) => m.message.split('\n')[0]),
        ['READY=1', 'RELOADING=1', 'READY=1', 'STOPPING=1'],
      );
      for (const m of got) assert.equal(m.pid, process.pid, 'sent by this process itself');
      const usec = BigInt(/^MONOTONIC_USEC=(\d+)$/m.exec(got[1]!.message)?.[1] ?? '0');
      assert.ok(
        usec >= before && usec <= afterUsec,
        `MONOTONIC_USEC ${usec} within [${before}, ${afterUsec}]`,
      );
    });
  }

  it('no NOTIFY_SOCKET: a no-op; an unreachable socket: a warning, never a throw', () => {
    const off = systemdNotifier(() => assert.fail('no warning expected'), {});
    assert.equal(off.enabled, false);
    off.ready();
    const warnings: Array<Record<string, unknown>> = [];
    const n = systemdNotifier((_m, f) => warnings.push(f), { NOTIFY_SOCKET: join(dir, 'nobody-listens') });
    n.ready();
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.errno, 2, 'ENOENT');
  });
});
