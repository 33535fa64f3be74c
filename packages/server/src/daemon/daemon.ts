/**
 * The daemon: configuration → replay store → firewall guard → knock pipeline → capture, and
 * the timers around them (step roll aligned to the step, counter report). Reload and stop
 * are methods; runDaemon (run.ts) maps signals onto them.
 *
 * A trial guard (`run --trial`, `reload --trial`; trial.ts) is wired here around the pipeline:
 * grants are noted on their way to the firewall, the capture filter gets a term for the host's
 * SYN+ACKs leaving the trial ports while a trial is pending, and those packets go to the trial,
 * never to the knock paths. The outcome re-applies the guard (permanent, or without the trial
 * ports) and is logged.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { msLeftInStep } from '@spa/shared';
import type { Logger } from 'pino';
import { synAckTerm } from '../capture/bpf.js';
import type { CapturedPacket } from '../capture/frame.js';
import type { PacketSource } from '../capture/packet-source.js';
import type { ServerConfig } from '../config/types.js';
import { canonicalOrAsIs } from '../firewall/_check.js';
import type { Firewall, Grant, GuardedPort } from '../firewall/firewall.js';
import { ReplayStore } from '../replay/replay-store.js';
import {
  type Clock,
  type DaemonDeps,
  defaultFirewall,
  defaultLoadConfig,
  defaultSource,
  systemClock,
} from './deps.js';
import { checkPidFile, removePidFile, writePidFile } from './pid-file.js';
import { KnockPipeline } from './pipeline.js';
import { planReload } from './reload.js';
import { guardedPorts } from './steps.js';
import {
  checkTrialPorts,
  guardWithTrial,
  parseTrialRequest,
  portKey,
  portList,
  TRIAL_KERNEL_MARGIN_SECONDS,
  TRIAL_REQUEST_FILE,
  TRIAL_TICK_MS,
  Trial,
  type TrialOutcome,
  type TrialPort,
} from './trial.js';

export interface DaemonOptions {
  readonly configPath: string;
  readonly logger: Logger;
  readonly deps?: Partial<DaemonDeps>;
  /** Interval of the counter report at info (only when something changed). Default 60 s. */
  readonly reportEveryMs?: number;
  /** `run --trial`: every guarded port is on trial for this many seconds (trial.ts). */
  readonly trialSeconds?: number;
}

interface FilterArm {
  source: PacketSource | undefined;
  live: boolean;
  /** The pipeline's filter (knock ports, sequence range), as last re-armed. */
  knock: string;
  /** The SYN+ACK term of a pending trial, ORed onto `knock`. */
  trialTerm: string | undefined;
}

/** Trial bookkeeping shared by the packet callback, the grant wrapper and the daemon. */
interface TrialSlot {
  trial: Trial | undefined;
  /** Ports ("tcp/22") a failed trial left unguarded; guarded again only by a reload --trial. */
  readonly unguarded: Set<string>;
}

/** The capture filter in force: the knock filter, or it OR the trial term. */
function composedFilter(arm: FilterArm): string {
  return arm.trialTerm ? `(${arm.knock}) or ${arm.trialTerm}` : arm.knock;
}

function trialTermOf(trial: Trial | undefined): string | undefined {
  const tcp = trial?.state === 'pending' ? trial.tcpPorts : [];
  return tcp.length > 0 ? synAckTerm(tcp) : undefined;
}

/** Past the step boundary before rolling, so the clock is surely in the new step. */
const ROLL_MARGIN_MS = 2;
const DEFAULT_REPORT_MS = 60_000;

export class Daemon {
  readonly pipeline: KnockPipeline;
  readonly #log: Logger;
  readonly #root: Logger;
  readonly #configPath: string;
  readonly #loadConfig: (path: string) => ServerConfig;
  readonly #clock: Clock;
  readonly #source: PacketSource;
  readonly #firewall: Firewall;
  readonly #store: ReplayStore;
  readonly #arm: FilterArm;
  readonly #slot: TrialSlot;
  #trialTimer: NodeJS.Timeout | undefined;
  #guardRetry: NodeJS.Timeout | undefined;
  #stepTimer: NodeJS.Timeout | undefined;
  #reportTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    opts: DaemonOptions,
    parts: {
      loadConfig: (path: string) => ServerConfig;
      clock: Clock;
      source: PacketSource;
      firewall: Firewall;
      store: ReplayStore;
      pipeline: KnockPipeline;
      arm: FilterArm;
      slot: TrialSlot;
    },
  ) {
    this.#root = opts.logger;
    this.#log = opts.logger.child({ component: 'daemon' });
    this.#configPath = opts.configPath;
    this.#loadConfig = parts.loadConfig;
    this.#clock = parts.clock;
    this.#source = parts.source;
    this.#firewall = parts.firewall;
    this.#store = parts.store;
    this.pipeline = parts.pipeline;
    this.#arm = parts.arm;
    this.#slot = parts.slot;
  }

  /**
   * Load the configuration (a ConfigError propagates before anything is touched), open the
   * replay store, start the firewall guard, build the tables, start capturing, write the pid
   * file and log `listening`.
   */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const deps = opts.deps ?? {};
    const loadConfig = deps.loadConfig ?? defaultLoadConfig;
    const clock = deps.clock ?? systemClock;
    const config = loadConfig(opts.configPath);
    // The logger's level is the caller's (the CLI may override the file with --log-level).
    mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
    checkPidFile(config.stateDir);
    // A reload --trial request left by an earlier daemon must not apply to a later reload.
    rmSync(join(config.stateDir, TRIAL_REQUEST_FILE), { force: true });
    const configured = guardedPorts(config.services);
    const slot: TrialSlot = { trial: undefined, unguarded: new Set() };
    if (opts.trialSeconds !== undefined) {
      checkTrialPorts(configured, 'the configured services have');
      slot.trial = new Trial(configured, clock.now(), opts.trialSeconds);
    }
    const store = ReplayStore.open(config.stateDir, config.window, clock.now());
    const log = opts.logger.child({ component: 'daemon' });
    log.info({ replay: store.loaded }, 'replay store loaded');
    let firewall: Firewall | undefined;
    let source: PacketSource | undefined;
    let guardUp = false;
    try {
      firewall = deps.firewall ?? defaultFirewall(config.firewall, opts.logger, clock);
      // A roll can happen inside the capture's packet callback: apply the new filter on the
      // next turn of the event loop, never re-entering the capture from its own dispatch. The
      // filter spans the steps T-1 .. T+K, so this happens about every K-1 steps (never with a
      // fixed knock port); the per-step roll itself only changes the pipeline's tables.
      const arm: FilterArm = { source: undefined, live: true, knock: '', trialTerm: trialTermOf(slot.trial) };
      const fw = firewall;
      const pipeline = new KnockPipeline({
        config,
        store,
        // Grants pass through on their way to the firewall: a pending trial notes them. Noted
        // before the firewall answers: the client may connect (and the host answer with a
        // SYN+ACK) between the kernel's commit and our reading of nft's reply.
        firewall: {
          grant: (g: Grant) => {
            slot.trial?.noteGrant({
              address: canonicalOrAsIs(g.address),
              protocol: g.protocol,
              port: g.port,
              atMs: clock.now(),
            });
            return fw.grant(g);
          },
        },
        logger: opts.logger.child({ component: 'knock' }),
        nowMs: clock.now(),
        onFilter: (filter) => {
          log.debug({ knockSteps: pipeline.filterSteps }, 'capture filter re-armed');
          arm.knock = filter;
          setImmediate(() => applyFilter(arm, log));
        },
      });
      arm.knock = pipeline.filter;
      if (deps.source) {
        source = deps.source;
        source.setFilter(composedFilter(arm));
      } else {
        source = defaultSource(config, composedFilter(arm), clock);
      }
      arm.source = source;
      let onSynAck: (packet: CapturedPacket, at: number) => void = () => undefined;
      // Capture opens before the guard goes up: a capture that cannot start (bad interface, no
      // permission) must leave the firewall untouched. Knocks in the few ms between the two are
      // dropped (the client resends). SYN+ACKs (captured only during a trial) never reach the
      // knock paths.
      source.start((packet, at) => {
        if (!guardUp) return;
        if (packet.synAck) onSynAck(packet, at);
        else pipeline.handle(packet, at);
      }, pipeline.captureReject);
      await firewall.start(guardWithTrial(configured, slot.unguarded, slot.trial, clock.now()));
      guardUp = true;
      writePidFile(config.stateDir);
      const daemon = new Daemon(opts, { loadConfig, clock, source, firewall, store, pipeline, arm, slot });
      onSynAck = (packet, at) => daemon.#synAck(packet, at);
      daemon.#armStepTimer();
      if (slot.trial) daemon.#trialStarted(slot.trial, slot.trial.ports, 'run');
      const every = opts.reportEveryMs ?? DEFAULT_REPORT_MS;
      daemon.#reportTimer = setInterval(() => daemon.report('periodic'), every);
      log.info(
        {
          interfaces: config.interfaces,
          knockPorts: pipeline.watchedPorts,
          step: pipeline.step,
          sequencePorts: config.sequence ? config.sequence.range : undefined,
          services: [...config.services.keys()],
          clients: config.clients.size,
          ...(config.fwknop.clients.size > 0
            ? { fwknop: { port: config.fwknop.port, clients: config.fwknop.clients.size } }
            : {}),
          firewall: firewall.name,
          ...(slot.trial ? { trial: { ports: portList(slot.trial.ports), seconds: opts.trialSeconds } } : {}),
        },
        'listening',
      );
      return daemon;
    } catch (err) {
      source?.stop();
      // Before the guard was up, `keep` only ends the firewall's helper process: no change.
      if (firewall) await firewall.stop(guardUp ? config.firewall.onStop : 'keep').catch(() => undefined);
      store.close();
      throw err;
    }
  }

  get config(): ServerConfig {
    return this.pipeline.config;
  }

  /** Counters by reason since start. */
  counters(): Record<string, number> {
    return this.pipeline.counters.snapshot();
  }

  /** Log the counters at info: `periodic` only what changed (if anything), `signal` all. */
  report(kind: 'periodic' | 'signal'): void {
    if (kind === 'periodic') {
      const changed = this.pipeline.counters.sinceLastReport();
      if (Object.keys(changed).length > 0) this.#log.info({ counters: changed }, 'counters');
    } else {
      this.#log.info({ counters: this.counters(), replayEntries: this.#store.size }, 'counters');
    }
  }

  /**
   * Re-read the configuration: clients, policy and services change, live grants stay. A bad
   * file is logged and the old configuration kept. Returns whether the new one is in force.
   */
  reload(): Promise<boolean> {
    return this.#serial(async () => {
      if (this.#stopping) return false;
      const trialSeconds = this.#takeTrialRequest();
      let loaded: ServerConfig;
      try {
        loaded = this.#loadConfig(this.#configPath);
      } catch (err) {
        this.#log.error({ err }, 'reload failed; keeping the previous configuration');
        return false;
      }
      const plan = planReload(this.pipeline.config, loaded);
      const now = this.#clock.now();
      const slot = this.#slot;
      // Newly guarded: configured now, not guarded before (a port a failed trial left
      // unguarded counts as new, so a reload --trial tries it again).
      const before = new Set(
        guardWithTrial(guardedPorts(this.pipeline.config.services), slot.unguarded, undefined, now).map(
          portKey,
        ),
      );
      const configured = guardedPorts(plan.config.services);
      const fresh: TrialPort[] = configured.filter((p) => !before.has(portKey(p)));
      if (trialSeconds !== undefined && fresh.length > 0 && !fresh.some((p) => p.protocol === 'tcp')) {
        this.#log.error(
          { newlyGuarded: portList(fresh) },
          'reload --trial refused: the newly guarded ports include no TCP port, so nothing could confirm the trial; kept the previous configuration',
        );
        return false;
      }
      if (plan.needRestart.length > 0)
        this.#log.warn({ fields: plan.needRestart }, 'changed settings need a restart; kept the old values');
      try {
        const previousLevel = this.pipeline.config.logLevel;
        this.pipeline.reload(plan.config, now);
        if (plan.config.logLevel !== previousLevel) this.#root.level = plan.config.logLevel;
        this.#trialOnReload(configured, fresh, trialSeconds, now);
        await this.#firewall.start(guardWithTrial(configured, slot.unguarded, slot.trial, now));
      } catch (err) {
        this.#log.error({ err }, 'reload failed');
        return false;
      }
      this.#log.info(
        { clients: plan.config.clients.size, services: [...plan.config.services.keys()] },
        'reloaded',
      );
      return true;
    });
  }

  /**
   * Stop: no more packets, wait for grants in flight, stop the firewall as configured
   * (keep = fail closed), flush and close the replay store, remove the pid file. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#serial(async () => {
      clearTimeout(this.#stepTimer);
      clearInterval(this.#reportTimer);
      clearInterval(this.#trialTimer);
      clearTimeout(this.#guardRetry);
      this.#arm.live = false;
      this.#source.stop();
      await this.pipeline.idle();
      const config = this.pipeline.config;
      const trial = this.#slot.trial;
      if (trial?.state === 'pending') {
        const left = trial.secondsLeft(this.#clock.now());
        // Backends whose trial guard has a kernel timeout (nftables set element, ipset entry).
        const kernel = this.#firewall.name === 'nftables' || this.#firewall.name === 'iptables';
        this.#log.warn(
          { trialPorts: portList(trial.ports), onStop: config.firewall.onStop },
          config.firewall.onStop === 'remove'
            ? 'stopped during a trial: on_stop = "remove" takes the whole guard away now'
            : kernel
              ? `stopped during a trial: the kernel drops the trial ports' guard by itself in about ${left + TRIAL_KERNEL_MARGIN_SECONDS} s; the other guarded ports stay closed (on_stop = "keep")`
              : `stopped during a trial: the ${this.#firewall.name} backend cannot time the guard out, so the trial ports STAY GUARDED (on_stop = "keep"); start spa-server again, or remove the guard by hand (docs/install.md)`,
        );
      }
      try {
        await this.#firewall.stop(config.firewall.onStop);
      } finally {
        this.#store.close();
        removePidFile(config.stateDir);
        this.#log.info({ counters: this.counters() }, 'stopped');
      }
    });
    return this.#stopping;
  }

  /** Resolves when the reloads and stops asked for so far are done. */
  async settled(): Promise<void> {
    await this.#queue;
  }

  /** The trial in force, if any (tests and status). */
  get trial(): Trial | undefined {
    return this.#slot.trial;
  }

  /** Ports a failed trial left unguarded ("tcp/22"). */
  get unguarded(): string[] {
    return [...this.#slot.unguarded];
  }

  /** Reads and deletes the reload --trial request, if any. */
  #takeTrialRequest(): number | undefined {
    const file = join(this.pipeline.config.stateDir, TRIAL_REQUEST_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    rmSync(file, { force: true });
    const seconds = parseTrialRequest(text);
    if (seconds === undefined)
      this.#log.error({ file }, 'ignored a malformed trial request; reloading without a trial');
    return seconds;
  }

  /** The trial side of a reload: new trial ports, ports gone from the config. */
  #trialOnReload(
    configured: readonly GuardedPort[],
    fresh: readonly TrialPort[],
    trialSeconds: number | undefined,
    now: number,
  ): void {
    const slot = this.#slot;
    const isConfigured = (p: TrialPort) => configured.some((c) => portKey(c) === portKey(p));
    for (const k of slot.unguarded) if (!configured.some((c) => portKey(c) === k)) slot.unguarded.delete(k);
    const pending = slot.trial?.state === 'pending' ? slot.trial : undefined;
    if (pending && !pending.keepOnly(isConfigured)) {
      this.#log.warn('trial ended: none of its ports is configured any more');
      this.#endTrial();
    }
    if (trialSeconds === undefined) {
      if (slot.unguarded.size > 0)
        this.#log.warn(
          { unguarded: [...slot.unguarded].join(', ') },
          'still unguarded after a failed trial; spa-server reload --trial 2m guards them again on trial',
        );
      return;
    }
    if (fresh.length === 0) {
      this.#log.warn('reload --trial: no newly guarded port, so nothing is on trial');
      return;
    }
    for (const p of fresh) slot.unguarded.delete(portKey(p));
    const current = slot.trial?.state === 'pending' ? slot.trial : undefined;
    if (current) current.extend(fresh, now + trialSeconds * 1000);
    else slot.trial = new Trial(fresh, now, trialSeconds);
    this.#trialStarted(slot.trial!, fresh, 'reload');
  }

  /** Log the trial loudly, arm its deadline check and its capture term. */
  #trialStarted(trial: Trial, ports: readonly TrialPort[], via: 'run' | 'reload'): void {
    const seconds = trial.secondsLeft(this.#clock.now());
    this.#log.warn(
      {
        trialPorts: portList(ports),
        confirmWith: trial.tcpPorts.map((p) => `tcp/${p}`).join(', '),
        seconds,
        deadline: new Date(trial.deadlineMs).toISOString(),
        via,
      },
      `TRIAL: the guard on ${portList(ports)} is on trial for ${seconds} s. Knock from a client (spa-client open SERVICE) and connect to a guarded TCP port before then, or the guard is removed again`,
    );
    if (this.#trialTimer === undefined) {
      this.#trialTimer = setInterval(() => this.#trialTick(), TRIAL_TICK_MS);
    }
    this.#rearm();
  }

  #trialTick(): void {
    const outcome = this.#slot.trial?.tick(this.#clock.now());
    if (outcome) this.#settle(outcome);
  }

  #synAck(packet: CapturedPacket, at: number): void {
    const trial = this.#slot.trial;
    if (trial?.state !== 'pending') return;
    const outcome = trial.noteSynAck({ srcPort: packet.srcPort, dstAddress: packet.dstAddress, atMs: at });
    if (outcome) this.#settle(outcome);
  }

  #settle(outcome: TrialOutcome): void {
    const trial = this.#slot.trial!;
    const ports = trial.ports;
    if (outcome.state === 'confirmed') {
      this.#log.info(
        { trialPorts: portList(ports), address: outcome.address, port: outcome.port },
        `trial confirmed: ${outcome.address} knocked and connected to tcp/${outcome.port}; the guard on ${portList(ports)} is now permanent`,
      );
    } else {
      for (const p of ports) this.#slot.unguarded.add(portKey(p));
      const why =
        outcome.reason === 'no-knock'
          ? 'no knock was accepted for a trial port in time.'
          : `a knock was accepted (${outcome.granted.join(', ')}) but no new connection from that address reached a trial port in time: does the host's own firewall let it through?`;
      this.#log.error(
        { trialPorts: portList(ports), reason: outcome.reason, granted: outcome.granted },
        `TRIAL NOT CONFIRMED: removed the guard from ${portList(ports)}; these ports are reachable as before spa-server ran, and spa-server keeps running. Why: ${why} Fix that, then try again with spa-server reload --trial 2m`,
      );
    }
    this.#endTrial();
    void this.#applyGuard();
  }

  #endTrial(): void {
    clearInterval(this.#trialTimer);
    this.#trialTimer = undefined;
    this.#rearm();
  }

  /** The capture filter follows the trial: its term only while one is pending. */
  #rearm(): void {
    const term = trialTermOf(this.#slot.trial);
    if (term === this.#arm.trialTerm) return;
    this.#arm.trialTerm = term;
    setImmediate(() => applyFilter(this.#arm, this.#log));
  }

  /** Re-apply the guard after a trial's outcome; retried (bounded) if the firewall fails. */
  #applyGuard(attempt = 1): Promise<void> {
    return this.#serial(async () => {
      if (this.#stopping) return;
      const now = this.#clock.now();
      try {
        await this.#firewall.start(
          guardWithTrial(
            guardedPorts(this.pipeline.config.services),
            this.#slot.unguarded,
            this.#slot.trial,
            now,
          ),
        );
        if (attempt > 1) this.#log.info({ attempt }, 'guard applied');
      } catch (err) {
        const last = attempt >= GUARD_ATTEMPTS;
        this.#log.error(
          { err, attempt },
          last
            ? 'the guard could not be updated after a trial; giving up (check the firewall, then restart spa-server)'
            : 'the guard could not be updated after a trial; retrying',
        );
        if (!last) this.#guardRetry = setTimeout(() => void this.#applyGuard(attempt + 1), GUARD_RETRY_MS);
      }
    });
  }

  /** One reload or stop at a time. */
  #serial<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(job, job);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Roll at every step boundary (the per-packet check covers a late or early timer). The
   * capture filter is re-armed only when the roll says its horizon runs out.
   */
  #armStepTimer(): void {
    const now = this.#clock.now();
    const delay = msLeftInStep(now, this.pipeline.config.stepSeconds) + ROLL_MARGIN_MS;
    this.#stepTimer = setTimeout(() => {
      try {
        if (this.pipeline.roll(this.#clock.now()))
          this.#log.debug({ step: this.pipeline.step, knockPorts: this.pipeline.watchedPorts }, 'step');
      } catch (err) {
        this.#log.error({ err }, 'step roll failed');
      }
      this.#armStepTimer();
    }, delay);
  }
}

/** Attempts to apply the guard after a trial's outcome. */
const GUARD_ATTEMPTS = 10;
const GUARD_RETRY_MS = 1000;

/** Attempts to re-arm the capture after a failure; the old filter still covers T+1 meanwhile. */
const REARM_ATTEMPTS = 10;
const REARM_RETRY_MS = 1000;

/**
 * Apply a new capture filter. A failure (libpcap could not open the new handle) must not
 * kill the daemon: the filter in force still admits the ports of T-1..T+1 at the moment
 * of a re-arm (filter-horizon.ts), so log it and try again a little later.
 */
function applyFilter(arm: FilterArm, log: Logger, attempt = 1): void {
  if (!arm.live) return;
  try {
    arm.source?.setFilter(composedFilter(arm));
  } catch (err) {
    if (attempt >= REARM_ATTEMPTS) {
      log.error({ err, attempt }, 'capture filter could not be re-armed; giving up until the next re-arm');
      return;
    }
    log.error({ err, attempt }, 'capture filter could not be re-armed; retrying');
    setTimeout(() => applyFilter(arm, log, attempt + 1), REARM_RETRY_MS).unref();
  }
}
