/** The trial guard wired into the daemon, on fakes: capture term, confirmation, rollback, reload --trial. */

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CapturedPacket } from '../../src/capture/frame.js';
import type { ServerConfig } from '../../src/config/types.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { runDaemon } from '../../src/daemon/run.js';
import { FirewallError, type GuardedPort } from '../../src/firewall/firewall.js';
import { formatTrialRequest, TRIAL_REQUEST_FILE } from '../../src/trial/request-file.js';
import { TRIAL_KERNEL_MARGIN_SECONDS, TRIAL_TICK_MS, TrialError } from '../../src/trial/trial.js';
import { FIXTURE_HOST, memoryLog, NOW, stateDir } from '../pipeline/_harness.js';
import { FakeFirewall } from '../support/fake-firewall.js';
import { FakePacketSource } from '../support/fake-source.js';
import { Fixture } from '../support/fixture.js';

interface Running {
  fixture: Fixture;
  daemon: Daemon;
  done: Promise<void>;
  source: FakePacketSource;
  firewall: FakeFirewall;
  signals: EventEmitter;
  log: ReturnType<typeof memoryLog>;
  clock: { now: number };
  next: ServerConfig;
}

const live = new Set<Running>();
afterEach(async () => {
  for (const r of [...live]) {
    live.delete(r);
    r.signals.emit('SIGTERM');
    await r.done;
  }
});

async function start(trialSeconds: number | undefined, fixture = new Fixture({ stateDir: stateDir() })) {
  const log = memoryLog();
  const clock = { now: NOW };
  const source = new FakePacketSource({ now: () => clock.now });
  const firewall = new FakeFirewall({ now: () => clock.now });
  const signals = new EventEmitter();
  const r = { fixture, source, firewall, signals, log, clock, next: fixture.config } as Running;
  let onReady!: (d: Daemon) => void;
  const ready = new Promise<Daemon>((resolve) => {
    onReady = resolve;
  });
  // As cli/run.ts does: runDaemon hands its options on to Daemon.start.
  const options = {
    configPath: fixture.config.path,
    logger: log.logger,
    deps: {
      source,
      firewall,
      signals,
      clock: { now: () => clock.now, monotonic: () => clock.now },
      loadConfig: () => r.next,
      hostAddresses: () => FIXTURE_HOST,
    },
    testSeams: { onReady },
    ...(trialSeconds !== undefined ? { trialSeconds } : {}),
  };
  r.done = runDaemon(options);
  r.daemon = await Promise.race([ready, r.done.then(() => assert.fail('runDaemon ended early'))]);
  live.add(r);
  return r;
}

const starts = (fw: FakeFirewall): GuardedPort[][] =>
  fw.calls.flatMap((c) => (c.method === 'start' ? [c.guarded] : []));

function synAck(dst: string, srcPort = 22): CapturedPacket {
  return {
    family: 4,
    srcAddress: '192.0.2.1',
    dstAddress: dst,
    protocol: 'tcp',
    srcPort,
    dstPort: 40_000,
    payload: new Uint8Array(0),
    synAck: true,
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('daemon: run --trial', () => {
  it('every guarded port goes up with a kernel timeout; the capture adds the SYN+ACK term; a knock and a SYN+ACK confirm', async () => {
    const r = await start(60);
    assert.deepEqual(starts(r.firewall)[0], [
      { protocol: 'tcp', port: 22, trialSeconds: 60 + TRIAL_KERNEL_MARGIN_SECONDS },
      { protocol: 'udp', port: 53, trialSeconds: 60 + TRIAL_KERNEL_MARGIN_SECONDS },
      { protocol: 'tcp', port: 443, trialSeconds: 60 + TRIAL_KERNEL_MARGIN_SECONDS },
    ]);
    assert.equal(r.source.filter, `(${r.daemon.pipeline.filter}) or ${synAckTermText([22, 443])}`);
    const announced = r.log.records().find((l) => /^TRIAL: /.test(String(l.msg)));
    assert.equal(announced?.level, 40);
    assert.equal(announced?.trialPorts, 'tcp/22, udp/53, tcp/443');

    // A SYN+ACK before any grant (the admin's old session cannot send one; a stray one) is ignored.
    r.source.push(synAck('198.51.100.7'));
    assert.equal(r.daemon.trial?.state, 'pending');
    r.source.push(r.fixture.udp(r.fixture.knock('alice', NOW), NOW));
    await r.daemon.pipeline.idle();
    r.clock.now += 20;
    r.source.push(synAck('198.51.100.7'));
    assert.equal(r.daemon.trial?.state, 'confirmed');
    assert.deepEqual(r.daemon.counters(), { grant: 1 }, 'the SYN+ACK never reached the knock paths');
    await r.daemon.settled();
    assert.deepEqual(starts(r.firewall).at(-1), [
      { protocol: 'tcp', port: 22 },
      { protocol: 'udp', port: 53 },
      { protocol: 'tcp', port: 443 },
    ]);
    await nextTurn();
    assert.equal(r.source.filter, r.daemon.pipeline.filter, 'the trial term is gone');
    const confirmed = r.log.records().find((l) => /^trial confirmed/.test(String(l.msg)));
    assert.equal(confirmed?.address, '198.51.100.7');
    assert.match(String(confirmed?.msg), /now permanent/);
  });

  it('no knock in time: rolled back (logged at error with the reason), the daemon keeps running unguarded', async () => {
    const r = await start(5);
    r.clock.now += 5000;
    await sleep(TRIAL_TICK_MS * 2 + 50);
    await r.daemon.settled();
    assert.equal(r.daemon.trial?.state, 'rolled-back');
    assert.deepEqual(starts(r.firewall).at(-1), []);
    const line = r.log.records().find((l) => /^TRIAL NOT CONFIRMED/.test(String(l.msg)));
    assert.equal(line?.level, 50);
    assert.equal(line?.reason, 'no-knock');
    assert.deepEqual(r.daemon.unguarded, ['tcp/22', 'udp/53', 'tcp/443']);
    await nextTurn();
    assert.equal(r.source.filter, r.daemon.pipeline.filter);

    // A plain reload does not guard them again behind the admin's back…
    r.signals.emit('SIGHUP');
    await r.daemon.settled();
    assert.deepEqual(starts(r.firewall).at(-1), []);
    assert.ok(r.log.records().some((l) => /^still unguarded after a failed trial/.test(String(l.msg))));
    // …a reload --trial does, on trial again.
    writeFileSync(join(r.fixture.config.stateDir, TRIAL_REQUEST_FILE), formatTrialRequest(30));
    r.signals.emit('SIGHUP');
    await r.daemon.settled();
    assert.equal(existsSync(join(r.fixture.config.stateDir, TRIAL_REQUEST_FILE)), false, 'request consumed');
    assert.equal(r.daemon.trial?.state, 'pending');
    assert.equal(starts(r.firewall).at(-1)?.length, 3);
    assert.ok(
      starts(r.firewall)
        .at(-1)
        ?.every((p) => p.trialSeconds === 30 + TRIAL_KERNEL_MARGIN_SECONDS),
    );
  });

  it('the rollback is logged only once the firewall applied it: a failed apply says so and is retried', async () => {
    const r = await start(5);
    r.firewall.failNext('start', new FirewallError('firewall-failed', 'boom'));
    r.clock.now += 5000;
    await sleep(TRIAL_TICK_MS * 2 + 50);
    await r.daemon.settled();
    assert.equal(r.daemon.trial?.state, 'rolled-back');
    const notConfirmed = () => r.log.records().findIndex((l) => /^TRIAL NOT CONFIRMED/.test(String(l.msg)));
    assert.equal(notConfirmed(), -1, 'no "removed the guard" while the guard is still up');
    const failed = r.log
      .records()
      .find((l) => /could not be updated after a trial; retrying/.test(String(l.msg)));
    assert.equal(failed?.trialOutcome, 'not confirmed (no-knock)');
    // The retry (GUARD_RETRY_MS later) applies it; only then the rollback is announced.
    const deadline = Date.now() + 5000;
    while (notConfirmed() < 0 && Date.now() < deadline) await sleep(50);
    assert.deepEqual(starts(r.firewall).at(-1), []);
    const applied = r.log.records().findIndex((l) => l.msg === 'guard applied');
    assert.ok(applied >= 0 && notConfirmed() > applied, 'announced after the guard was applied');
  });

  it('a knock without a new connection: reason no-connection, naming the address', async () => {
    const r = await start(5);
    r.source.push(r.fixture.udp(r.fixture.knock('alice', NOW), NOW));
    await r.daemon.pipeline.idle();
    r.source.push(synAck('198.51.100.99')); // another address
    r.clock.now += 5000;
    await sleep(TRIAL_TICK_MS * 2 + 50);
    const line = r.log.records().find((l) => /^TRIAL NOT CONFIRMED/.test(String(l.msg)));
    assert.equal(line?.reason, 'no-connection');
    assert.deepEqual(line?.granted, ['198.51.100.7']);
  });

  it('stopped mid-trial: on_stop keep, and the log says what happens to the trial ports', async () => {
    const r = await start(60);
    live.delete(r);
    r.signals.emit('SIGTERM');
    await r.done;
    assert.deepEqual(r.firewall.calls.at(-1), { method: 'stop', mode: 'keep' });
    const line = r.log.records().find((l) => /^stopped during a trial/.test(String(l.msg)));
    assert.equal(line?.level, 40);
    assert.match(String(line?.msg), /cannot time the guard out/, 'the fake is no nftables');
  });

  it('no TCP service: --trial is refused before anything is touched', async () => {
    const fixture = new Fixture({ stateDir: stateDir() });
    const services = new Map([...fixture.config.services].filter(([, s]) => s.protocol === 'udp'));
    const firewall = new FakeFirewall();
    await assert.rejects(
      runDaemon({
        configPath: fixture.config.path,
        logger: memoryLog().logger,
        deps: {
          firewall,
          source: new FakePacketSource(),
          signals: new EventEmitter(),
          loadConfig: () => fixture.with({ services }),
        },
        trialSeconds: 30,
      }),
      (e: unknown) => e instanceof TrialError && e.code === 'trial-no-tcp',
    );
    assert.deepEqual(firewall.calls, []);
  });
});

describe('daemon: reload --trial', () => {
  it('only newly guarded ports are on trial; a reload --trial adding only UDP is refused', async () => {
    const r = await start(undefined);
    assert.equal(r.daemon.trial, undefined);
    const request = join(r.fixture.config.stateDir, TRIAL_REQUEST_FILE);

    const udpOnly = new Map(r.fixture.config.services);
    udpOnly.set('ntp', { name: 'ntp', protocol: 'udp', port: 123 });
    r.next = r.fixture.with({ services: udpOnly });
    writeFileSync(request, formatTrialRequest(30));
    r.signals.emit('SIGHUP');
    await r.daemon.settled();
    assert.ok(r.log.records().some((l) => /^reload --trial refused/.test(String(l.msg))));
    assert.equal(starts(r.firewall).length, 1, 'the guard was not touched');
    assert.equal(r.daemon.config.services.has('ntp'), false, 'old configuration kept');

    const withImap = new Map(r.fixture.config.services);
    withImap.set('imap', { name: 'imap', protocol: 'tcp', port: 993 });
    r.next = r.fixture.with({ services: withImap });
    writeFileSync(request, formatTrialRequest(30));
    r.signals.emit('SIGHUP');
    await r.daemon.settled();
    assert.deepEqual(starts(r.firewall).at(-1), [
      { protocol: 'tcp', port: 22 },
      { protocol: 'udp', port: 53 },
      { protocol: 'tcp', port: 443 },
      { protocol: 'tcp', port: 993, trialSeconds: 30 + TRIAL_KERNEL_MARGIN_SECONDS },
    ]);
    await nextTurn();
    assert.match(r.source.filter ?? '', /outbound and tcp and src port 993 /);
    // Rolled back: only the new port loses its guard.
    r.clock.now += 30_000;
    await sleep(TRIAL_TICK_MS * 2 + 50);
    await r.daemon.settled();
    assert.deepEqual(starts(r.firewall).at(-1), [
      { protocol: 'tcp', port: 22 },
      { protocol: 'udp', port: 53 },
      { protocol: 'tcp', port: 443 },
    ]);
  });
});

function synAckTermText(ports: number[]): string {
  const src = ports.length === 1 ? `src port ${ports[0]}` : `src port (${ports.join(' or ')})`;
  return (
    `(outbound and tcp and ${src} and ((ip and tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst|tcp-fin) == (tcp-syn|tcp-ack))` +
    ' or (ip6 and ip6[53] & 0x17 == 0x12)))'
  );
}
