import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync, lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import {
  deriveClientKeys,
  deriveServerKeys,
  encodeSecret,
  stepStartMs,
  timeStep,
  toBase32,
  toHex,
} from '@spa/shared';
import { ConfigError } from '../../src/config/errors.js';
import type { ServerConfig } from '../../src/config/types.js';
import type { Daemon } from '../../src/daemon/daemon.js';
import { DaemonError } from '../../src/daemon/errors.js';
import { runDaemon } from '../../src/daemon/run.js';
import { FILTER_HORIZON_STEPS } from '../../src/pipeline/filter-horizon.js';
import { FIXTURE_HOST, filterKnockPorts, granted, memoryLog, NOW, stateDir } from '../pipeline/_harness.js';
import { FakeFirewall } from '../support/fake-firewall.js';
import { FakePacketSource } from '../support/fake-source.js';
import { Fixture } from '../support/fixture.js';

interface Running {
  readonly fixture: Fixture;
  readonly daemon: Daemon;
  readonly done: Promise<void>;
  readonly source: FakePacketSource;
  readonly firewall: FakeFirewall;
  readonly signals: EventEmitter;
  readonly log: ReturnType<typeof memoryLog>;
  /** What loadConfig returns next (or throws, if an Error). */
  next: ServerConfig | Error;
}

async function start(
  fixture = new Fixture({ stateDir: stateDir(), logLevel: 'debug' }),
  reportEveryMs?: number,
  config: ServerConfig = fixture.config,
): Promise<Running> {
  const log = memoryLog();
  const source = new FakePacketSource({ now: () => NOW });
  const firewall = new FakeFirewall({ now: () => NOW });
  const signals = new EventEmitter();
  let onReady!: (d: Daemon) => void;
  const ready = new Promise<Daemon>((resolve) => {
    onReady = resolve;
  });
  const running = { fixture, source, firewall, signals, log, next: config } as Omit<
    Running,
    'daemon' | 'done'
  > & { next: ServerConfig | Error };
  const done = runDaemon({
    configPath: fixture.config.path,
    logger: log.logger,
    deps: {
      source,
      firewall,
      signals,
      hostAddresses: () => FIXTURE_HOST,
      clock: { now: () => NOW, monotonic: () => 0 },
      loadConfig: () => {
        if (running.next instanceof Error) throw running.next;
        return running.next;
      },
    },
    testSeams: { onReady, ...(reportEveryMs ? { reportEveryMs } : {}) },
  });
  const daemon = await Promise.race([ready, done.then(() => assert.fail('runDaemon ended early'))]);
  const r = Object.assign(running, { daemon, done });
  live.add(r);
  return r;
}

const live = new Set<Running>();

async function stop(r: Running): Promise<void> {
  live.delete(r);
  r.signals.emit('SIGTERM');
  await r.done;
}

// A failed assertion must not leave a daemon (and its step timer) running.
afterEach(async () => {
  for (const r of [...live]) await stop(r);
});

describe('runDaemon', () => {
  it('starts the guard, arms the filter, writes the pid file, logs listening, grants, and stops cleanly', async () => {
    const r = await start();
    const cfg = r.fixture.config;
    assert.deepEqual(r.firewall.calls[0], {
      method: 'start',
      guarded: [
        { protocol: 'tcp', port: 22 },
        { protocol: 'udp', port: 53 },
        { protocol: 'tcp', port: 443 },
      ],
    });
    assert.equal(r.source.running, true);
    assert.equal(r.source.filter, r.daemon.pipeline.filter);
    assert.match(r.source.filter!, new RegExp(String(r.fixture.knockPortAt(NOW))));
    const pidFile = join(cfg.stateDir, 'spa-server.pid');
    assert.equal(readFileSync(pidFile, 'utf8'), `${process.pid}\n`);
    const listening = r.log.records().find((l) => l.msg === 'listening');
    assert.ok(listening);
    assert.equal(listening.level, 30);
    assert.deepEqual(listening.interfaces, ['fake0']);
    assert.deepEqual(listening.knockPorts, [...r.daemon.pipeline.watchedPorts]);

    r.source.push(r.fixture.udp(r.fixture.knock('alice', NOW), NOW));
    await r.daemon.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    assert.deepEqual(r.daemon.counters(), { grant: 1 });

    await stop(r);
    assert.deepEqual(r.firewall.calls.at(-1), { method: 'stop', mode: 'keep' });
    assert.equal(r.source.running, false);
    assert.equal(existsSync(pidFile), false);
    assert.ok(r.log.records().some((l) => l.msg === 'stopped'));
  });

  it('a bad configuration at start rejects with its ConfigError and leaves the firewall alone', async () => {
    const firewall = new FakeFirewall();
    const source = new FakePacketSource();
    const err = new ConfigError('config-invalid', '/etc/spa/server.toml', 'knock.step', 'must be 1-3600');
    await assert.rejects(
      runDaemon({
        configPath: '/etc/spa/server.toml',
        logger: memoryLog().logger,
        deps: {
          firewall,
          source,
          signals: new EventEmitter(),
          loadConfig: () => {
            throw err;
          },
        },
      }),
      (e) => e === err,
    );
    assert.deepEqual(firewall.calls, []);
    assert.equal(source.running, false);
  });

  it('the real loader: a missing file is a ConfigError, nothing touched', async () => {
    const firewall = new FakeFirewall();
    await assert.rejects(
      runDaemon({
        configPath: join(stateDir(), 'missing.toml'),
        logger: memoryLog().logger,
        deps: { firewall, source: new FakePacketSource(), signals: new EventEmitter() },
      }),
      (e) => e instanceof ConfigError && e.code === 'config-missing',
    );
    assert.deepEqual(firewall.calls, []);
  });

  it('SIGHUP reloads: a new client works, live grants stay, the guard follows the services', async () => {
    const r = await start(
      new Fixture({
        stateDir: stateDir(),
        clients: [
          { name: 'alice', services: ['ssh'] },
          { name: 'carol', services: ['web'] },
        ],
      }),
    );
    const withoutCarol = new Map(r.fixture.config.clients);
    withoutCarol.delete('carol');
    // Begin with carol unknown: reload to a config without her first.
    r.next = r.fixture.with({ clients: withoutCarol });
    r.signals.emit('SIGHUP');
    await r.daemon.settled();
    r.source.push(r.fixture.udp(r.fixture.knock('alice', NOW), NOW));
    r.source.push(r.fixture.udp(r.fixture.knock('carol', NOW), NOW, { src: '198.51.100.8' }));
    await r.daemon.pipeline.idle();
    assert.equal(r.daemon.counters().client, 1, 'carol unknown');

    const services = new Map(r.fixture.config.services);
    services.set('imap', { name: 'imap', protocol: 'tcp', port: 993 });
    r.next = r.fixture.with({ services });
    r.signals.emit('SIGHUP');
    await r.daemon.settled();
    r.source.push(r.fixture.udp(r.fixture.knock('carol', NOW), NOW, { src: '198.51.100.8' }));
    await r.daemon.pipeline.idle();
    assert.deepEqual(
      r.firewall.grants().map((g) => `${g.address} ${g.port}`),
      ['198.51.100.7 22', '198.51.100.8 443'],
    );
    assert.equal(r.firewall.calls.filter((c) => c.method === 'revoke').length, 0);
    const lastStart = r.firewall.calls.filter((c) => c.method === 'start').at(-1);
    assert.ok(lastStart?.method === 'start' && lastStart.guarded.some((g) => g.port === 993));
    assert.ok(r.log.records().some((l) => l.msg === 'reloaded'));
    await stop(r);
  });

  it('the reload line counts fwknop clients too and names who was added, removed, revoked, reinstated', async () => {
    const r = await start(
      new Fixture({
        stateDir: stateDir(),
        clients: [{ name: 'alice' }, { name: 'bob' }, { name: 'dan', revoked: true }],
        fwknopClients: [{ name: 'laptop', services: ['ssh'] }],
      }),
    );
    const clients = new Map(r.fixture.config.clients);
    clients.delete('bob');
    clients.set('alice', { ...clients.get('alice')!, revoked: true });
    clients.set('dan', { ...clients.get('dan')!, revoked: false });
    clients.set('erin', { ...clients.get('dan')!, name: 'erin', revoked: false });
    r.next = r.fixture.with({ clients });
    r.signals.emit('SIGHUP');
    await r.daemon.settled();
    const line = r.log.records().find((l) => l.msg === 'reloaded');
    assert.equal(line?.level, 30, 'info');
    assert.equal(line?.clients, 4, 'alice, dan, erin and the fwknop laptop');
    assert.deepEqual(line?.fwknop, { port: 62201, clients: 1 });
    assert.deepEqual(
      [line?.added, line?.removed, line?.revoked, line?.reinstated],
      [['erin'], ['bob'], ['alice'], ['dan']],
    );
    await stop(r);
  });

  it('[metrics] textfile: Prometheus text, written at start and on the timer, atomically, never through a symlink', async () => {
    const fixture = new Fixture({ stateDir: stateDir() });
    const path = join(fixture.config.stateDir, 'spa.prom');
    const target = join(fixture.config.stateDir, 'elsewhere');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, path); // a symlink where the file goes: replaced, its target untouched
    const r = await start(fixture, undefined, { ...fixture.config, metricsTextfile: path });
    assert.equal(readFileSync(target, 'utf8'), 'precious\n');
    assert.ok(lstatSync(path).isFile());
    assert.match(readFileSync(path, 'utf8'), /^spa_grants_total 0$/m);
    r.source.push(r.fixture.udp(r.fixture.knock('alice', NOW), NOW));
    r.source.push(r.fixture.udp(new Uint8Array(336), NOW));
    await r.daemon.pipeline.idle();
    await r.daemon.writeMetrics();
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^# TYPE spa_knocks_rejected_total counter$/m);
    assert.match(text, /^spa_knocks_rejected_total\{reason="client"\} 1$/m);
    assert.match(text, /^spa_grants_total 1$/m);
    // Live grants come from the firewall's own listing: one grant is live now.
    assert.match(text, /^# TYPE spa_live_grants gauge\nspa_live_grants 1$/m);
    await r.firewall.revoke('198.51.100.7'); // the fixture's default source
    await r.daemon.writeMetrics();
    assert.match(readFileSync(path, 'utf8'), /^spa_live_grants 0$/m, 'a revoked grant is no longer live');
    // A firewall that cannot list: the gauge is left out rather than a wrong number written.
    r.firewall.failNext('list', new Error('nft: no such table'));
    await r.daemon.writeMetrics();
    const without = readFileSync(path, 'utf8');
    assert.doesNotMatch(without, /spa_live_grants/);
    assert.match(without, /^spa_grants_total 1$/m, 'the rest is still written');
    assert.match(text, /^spa_last_reload_time_seconds 0$/m);
    assert.match(text, new RegExp(`^spa_start_time_seconds ${Math.floor(NOW / 1000)}$`, 'm'));
    assert.deepEqual(
      readdirSync(fixture.config.stateDir).filter((f) => f.endsWith('.tmp')),
      [],
      'no temp file left',
    );
    await stop(r);
  });

  it('a bad reload is logged and the old configuration kept', async () => {
    const r = await start();
    r.next = new ConfigError('config-syntax', r.fixture.config.path, '', 'not valid TOML');
    r.signals.emit('SIGHUP');
    await r.daemon.settled();
    const error = r.log.records().find((l) => l.level === 50);
    assert.match(String(error?.msg), /reload failed/);
    // The file, key and fix, as one message; no JS stack.
    assert.equal(error?.code, 'config-syntax');
    assert.match(String(error?.error), /: not valid TOML$/);
    assert.equal(error?.err, undefined);
    r.source.push(r.fixture.udp(r.fixture.knock('alice', NOW), NOW));
    await r.daemon.pipeline.idle();
    assert.equal(granted(r.firewall).length, 1);
    await stop(r);
  });

  it('a reload that changes restart-only settings keeps the running values and says so', async () => {
    const r = await start();
    r.next = r.fixture.with({ stepSeconds: 60, knock: { mode: 'fixed', port: 41000 } });
    assert.equal(await r.daemon.reload(), true);
    const warn = r.log.records().find((l) => l.level === 40);
    assert.deepEqual(warn?.fields, ['knock', 'stepSeconds']);
    assert.equal(r.daemon.config.stepSeconds, 30);
    await stop(r);
  });

  it('a reload takes a new out_of_band note without a restart warning; other firewall changes need one', async () => {
    const r = await start();
    const fw = r.fixture.config.firewall;
    r.next = r.fixture.with({ firewall: { ...fw, outOfBand: 'provider web console' } });
    assert.equal(await r.daemon.reload(), true);
    assert.equal(r.daemon.config.firewall.outOfBand, 'provider web console');
    assert.equal(r.log.records().filter((l) => l.level === 40).length, 0, 'no restart warning');
    r.next = r.fixture.with({ firewall: { ...fw, table: 'other' } });
    assert.equal(await r.daemon.reload(), true);
    assert.deepEqual(r.log.records().find((l) => l.level === 40)?.fields, ['firewall']);
    assert.equal(r.daemon.config.firewall.table, 'spa');
    assert.equal(r.daemon.config.firewall.outOfBand, undefined, 'the note went with the file');
    await stop(r);
  });

  it('50 step rolls re-arm the capture filter at every step (on the next turn) to exactly T-1..T+1', async () => {
    const r = await start();
    const f = r.fixture;
    const step = timeStep(NOW, 30);
    const portAt = (s: number) => f.knockPortAt(stepStartMs(s, 30));
    const covers = (filter: string, steps: number[]) => {
      const admitted = filterKnockPorts(filter);
      return steps.every((s) => admitted.includes(portAt(s)));
    };
    const filtersBefore = r.source.filters.length;
    for (let t = step + 1; t <= step + 50; t++) {
      const boundary = stepStartMs(t, 30);
      // At the boundary the filter in force is still the old one: it holds step t-1's ports.
      assert.ok(covers(r.source.filter!, [t - 2, t - 1, t]), `old filter at the boundary of step ${t}`);
      // A client at the very end of step t-1 knocks on that step's port; it arrives at the boundary.
      r.source.push(
        f.udp(f.knock('alice', boundary - 11), boundary - 11, { dstPort: portAt(t - 1) }),
        boundary,
      );
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(covers(r.source.filter!, [t - 1, t, t + 1]), `filter in step ${t}`);
      assert.equal(filterKnockPorts(r.source.filter!).length, new Set([t - 1, t, t + 1].map(portAt)).size);
      assert.equal(r.source.filter, r.daemon.pipeline.filter);
    }
    const switches = r.source.filters.length - filtersBefore;
    assert.equal(
      switches,
      Math.floor(50 / Math.max(1, FILTER_HORIZON_STEPS - 1)),
      `${switches} filter switches`,
    );
    assert.equal(r.log.records().filter((l) => l.msg === 'capture filter re-armed').length, switches);
    await r.daemon.pipeline.idle();
    assert.equal(granted(r.firewall).length, 50, 'every knock to the old step port, after the roll');
    assert.deepEqual(r.daemon.counters(), { grant: 50 });
    await stop(r);
  });

  it('a capture re-arm that fails is logged and retried; the daemon keeps running', async () => {
    const r = await start();
    const f = r.fixture;
    const step = timeStep(NOW, 30);
    const original = r.source.setFilter.bind(r.source);
    let failures = 1;
    r.source.setFilter = (filter: string) => {
      if (failures-- > 0) throw new Error('libpcap: no handle for you');
      original(filter);
    };
    const before = r.source.filters.length;
    // Roll to the first re-arm.
    const t = step + Math.max(1, FILTER_HORIZON_STEPS - 1);
    const at = stepStartMs(t, 30) + 5;
    r.source.push(f.udp(new Uint8Array(3), at), at);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(r.source.filters.length, before, 'the first attempt failed');
    assert.ok(r.log.records().some((l) => String(l.msg).includes('could not be re-armed; retrying')));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(r.source.filters.length, before + 1, 'the retry armed it');
    assert.equal(r.source.filter, r.daemon.pipeline.filter);
    await stop(r);
  });

  it('a fixed knock port: the capture filter is set once and never switched', async () => {
    const fixture = new Fixture({ stateDir: stateDir(), knock: { mode: 'fixed', port: 41000 } });
    const r = await start(fixture);
    assert.deepEqual(r.source.filters.length, 1);
    for (let t = timeStep(NOW, 30) + 1; t <= timeStep(NOW, 30) + 50; t++) {
      const at = stepStartMs(t, 30) + 3;
      r.source.push(fixture.udp(new Uint8Array(336), at, { dstPort: 41000 }), at);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(r.daemon.pipeline.step, timeStep(NOW, 30) + 50);
    assert.equal(r.source.filters.length, 1, 'no switch at all');
    assert.deepEqual(r.daemon.counters(), { client: 50 });
    await stop(r);
  });

  it('counters are reported at info periodically, only what changed and only if something did', async () => {
    const r = await start(undefined, 30);
    r.source.push(r.fixture.udp(new Uint8Array(3), NOW));
    r.source.push(r.fixture.udp(new Uint8Array(336), NOW));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reports = r.log.records().filter((l) => l.msg === 'counters');
    assert.deepEqual(
      reports.map((l) => l.counters),
      [{ client: 1, length: 1 }],
    );
    assert.equal(reports[0]?.level, 30);
    await stop(r);
  });

  it('SIGUSR1 logs every counter', async () => {
    const r = await start();
    r.source.push(r.fixture.udp(new Uint8Array(3), NOW));
    r.signals.emit('SIGUSR1');
    const line = r.log.records().find((l) => l.msg === 'counters');
    assert.deepEqual(line?.counters, { length: 1 });
    await stop(r);
  });

  it('restart: a knock accepted before is still a replay after a stop and a new start', async () => {
    const a = await start();
    const k = a.fixture.knock('alice', NOW);
    a.source.push(a.fixture.udp(k, NOW));
    await stop(a);
    const b = await start(a.fixture);
    b.source.push(b.fixture.udp(k, NOW, { src: '203.0.113.9' }));
    await b.daemon.pipeline.idle();
    assert.deepEqual(b.daemon.counters(), { replay: 1 });
    await stop(b);
  });

  it('a live spa-server owning the state directory refuses a second one', async () => {
    const parentIsNode = /node/.test(readFileSync(`/proc/${process.ppid}/cmdline`, 'latin1'));
    if (!parentIsNode) return;
    const fixture = new Fixture({ stateDir: stateDir() });
    writeFileSync(join(fixture.config.stateDir, 'spa-server.pid'), `${process.ppid}\n`);
    const firewall = new FakeFirewall();
    await assert.rejects(
      runDaemon({
        configPath: 'x',
        logger: memoryLog().logger,
        deps: { firewall, source: new FakePacketSource(), loadConfig: () => fixture.config },
      }),
      (e) => e instanceof DaemonError && e.code === 'already-running',
    );
    assert.deepEqual(firewall.calls, []);
  });

  it('logs carry no secret: keys in hex, base32 or text form never appear', async () => {
    const fixture = new Fixture({ stateDir: stateDir(), logLevel: 'debug' });
    const r = await start(fixture);
    const f = r.fixture;
    const next = stepStartMs(timeStep(NOW, 30) + 1, 30) + 1;
    r.source.push(f.udp(f.knock('alice', NOW), NOW));
    r.source.push(f.udp(f.knock('alice', NOW, { version: 2 }), NOW));
    r.source.push(f.udp(new Uint8Array(336), NOW));
    r.source.push(f.udp(f.knock('bob', next), next), next);
    for (const k of f.sequence('alice', 'ssh', NOW)) r.source.push(f.sequencePacket(k), NOW);
    r.next = new ConfigError('config-invalid', f.config.path, 'clients.x.key', 'bad key');
    await r.daemon.reload();
    r.next = f.config;
    await r.daemon.reload();
    r.signals.emit('SIGUSR1');
    r.firewall.failNext('grant', new Error('nft said no'));
    r.source.push(f.udp(f.knock('bob', next), next), next);
    await r.daemon.pipeline.idle();
    await stop(r);
    assert.ok(granted(r.firewall).length >= 3);
    for (const msg of ['knock rejected', '"grant"', 'grant failed', 'reload failed', 'counters', 'listening'])
      assert.ok(r.log.text().includes(msg), msg);
    const text = r.log.text().toLowerCase();
    const secrets: Uint8Array[] = [f.serverSecret, ...Object.values(deriveServerKeys(f.serverSecret))];
    for (const s of f.secrets.values()) secrets.push(s, ...Object.values(deriveClientKeys(s)));
    for (const s of secrets) {
      for (const form of [toHex(s), toBase32(s), Buffer.from(s).toString('base64').toLowerCase()]) {
        assert.equal(text.includes(form.slice(0, 16).toLowerCase()), false, 'secret in the log');
      }
    }
    for (const s of f.secrets.values())
      assert.equal(text.includes(encodeSecret('client', s).slice(0, 20)), false);
    assert.equal(text.includes(encodeSecret('server', f.serverSecret).slice(0, 20)), false);
  });
});
