/**
 * The daemon: configuration → replay store → firewall guard → knock pipeline → capture, and
 * the timers around them (step roll aligned to the step, counter report). Reload and stop
 * are methods; runDaemon (run.ts) maps signals onto them.
 *
 * A trial guard (`run --trial`, `reload --trial`; trial-guard.ts) is wired here around the
 * pipeline: grants pass through it on their way to the firewall, the capture filter is the
 * pipeline's OR its term for the host's SYN+ACKs while a trial is pending, and those packets go
 * to it, never to the knock paths.
 */
import { mkdirSync } from 'node:fs';
import { msLeftInStep } from '@spa/shared';
import type { Logger } from 'pino';
import type { PacketSource } from '../capture/index.js';
import { isConfigError } from '../config/index.js';
import type { ServerConfig } from '../config/types.js';
import type { Firewall, Grant } from '../firewall/index.js';
import { guardedPorts, KnockPipeline } from '../pipeline/index.js';
import { ReplayStore } from '../replay/index.js';
import { checkTrialPorts, portList, removeTrialRequest, type Trial, TrialGuard } from '../trial/index.js';
import { HostAddresses } from '../verify/index.js';
import {
  type Clock,
  type DaemonDeps,
  defaultFirewall,
  defaultLoadConfig,
  defaultSource,
  osAddresses,
  systemClock,
} from './deps.js';
import { FirewallWatch } from './firewall-watch.js';
import { METRICS_EVERY_MS, renderMetrics, writeMetricsFile } from './metrics-file.js';
import { checkPidFile, removePidFile, writePidFile } from './pid-file.js';
import { clientChanges, planReload } from './reload.js';
import { assertSafeStateDir } from './state-dir.js';

/** Knobs production wiring never sets (the bin uses the defaults); only tests turn them. */
export interface DaemonTestSeams {
  /** Interval of the counter report at info (only when something changed). Default 60 s. */
  readonly reportEveryMs?: number;
  /** Period of the firewall guard check (firewall-watch.ts); default WATCH_EVERY_MS. */
  readonly watchEveryMs?: number;
  /** How often [metrics] textfile is rewritten (default 15 s). */
  readonly metricsEveryMs?: number;
}

export interface DaemonOptions {
  readonly configPath: string;
  readonly logger: Logger;
  readonly deps?: Partial<DaemonDeps>;
  /** `run --trial`: every guarded port is on trial for this many seconds (trial.ts). */
  readonly trialSeconds?: number;
  readonly testSeams?: DaemonTestSeams;
}

interface FilterArm {
  source: PacketSource | undefined;
  live: boolean;
  /** The pipeline's filter (knock ports, sequence range), as last re-armed. */
  knock: string;
  /** The SYN+ACK term of a pending trial, ORed onto `knock`. */
  trialTerm: string | undefined;
}

/** The capture filter in force: the knock filter, or it OR the trial term. */
function composedFilter(arm: FilterArm): string {
  return arm.trialTerm ? `(${arm.knock}) or ${arm.trialTerm}` : arm.knock;
}

/** Past the step boundary before rolling, so the clock is surely in the new step. */
const ROLL_MARGIN_MS = 2;
/**
 * The step timer also wakes at least this often to look at the wall clock: a step (back, or
 * forward) is then followed by the tables and the capture filter within this long, even when the
 * filter armed for the old time lets no packet through to trigger the roll.
 */
const CLOCK_CHECK_MS = 5_000;
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
  readonly #trial: TrialGuard;
  readonly #watch: FirewallWatch;
  #stepTimer: NodeJS.Timeout | undefined;
  #reportTimer: NodeJS.Timeout | undefined;
  #metricsTimer: NodeJS.Timeout | undefined;
  #metricsBusy = false;
  #startedAtMs = 0;
  #lastReloadAtMs: number | undefined;
  #metricsFailing = false;
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
      trial: TrialGuard;
      watch: FirewallWatch;
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
    this.#trial = parts.trial;
    this.#watch = parts.watch;
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
    // Root writes here: a directory another user can write is refused (state-dir.ts).
    assertSafeStateDir(config.stateDir);
    checkPidFile(config.stateDir);
    // A reload --trial request left by an earlier daemon must not apply to a later reload.
    removeTrialRequest(config.stateDir);
    const configured = guardedPorts(config.services);
    // A trial with nothing to confirm it is refused before anything is touched.
    if (opts.trialSeconds !== undefined) checkTrialPorts(configured, 'the configured services have');
    const startedAt = clock.now();
    const store = ReplayStore.open(config.stateDir, config.window, startedAt, {
      monotonic: () => clock.monotonic(),
      sequenceLiveMs: 3 * config.stepSeconds * 1000,
    });
    const log = opts.logger.child({ component: 'daemon' });
    logStoreLoaded(log, store);
    for (const notice of config.notices ?? []) log.warn({ notice }, 'config notice');
    let firewall: Firewall | undefined;
    let source: PacketSource | undefined;
    let guardUp = false;
    try {
      firewall = deps.firewall ?? defaultFirewall(config.firewall, opts.logger, clock);
      // The daemon's queue and state, for the trial guard's firewall changes (bound below).
      let daemon: Daemon | undefined;
      const trial: TrialGuard = new TrialGuard({
        firewall,
        clock,
        log,
        configured: () => guardedPorts(daemon?.config.services ?? config.services),
        onTermChange: () => {
          if (trial.term === arm.trialTerm) return;
          arm.trialTerm = trial.term;
          setImmediate(() => applyFilter(arm, log));
        },
        serial: (job) => (daemon ? daemon.#serial(job) : job()),
        stopping: () => daemon !== undefined && daemon.#stopping !== undefined,
      });
      if (opts.trialSeconds !== undefined) trial.begin(configured, opts.trialSeconds);
      // Rebuilds the guard if another tool removes it (periodically, and when a grant fails).
      const watch = new FirewallWatch({
        firewall,
        guarded: () => trial.guard(guardedPorts(daemon?.config.services ?? config.services)),
        log,
        serial: (job) => (daemon ? daemon.#serial(job) : job()),
        ...(opts.testSeams?.watchEveryMs !== undefined ? { everyMs: opts.testSeams.watchEveryMs } : {}),
      });
      // A roll can happen inside the capture's packet callback: apply the new filter on the
      // next turn of the event loop, never re-entering the capture from its own dispatch. The
      // filter holds exactly the steps T-1 .. T+1, so this happens at every step (never with a
      // fixed knock port), in place on the one handle per interface (pcap_setfilter).
      const arm: FilterArm = { source: undefined, live: true, knock: '', trialTerm: trial.term };
      const fw = firewall;
      const pipeline = new KnockPipeline({
        config,
        store,
        // Grants pass through on their way to the firewall: a pending trial notes them. Noted
        // before the firewall answers: the client may connect (and the host answer with a
        // SYN+ACK) between the kernel's commit and our reading of nft's reply.
        firewall: {
          grant: async (g: Grant) => {
            trial.noteGrant(g);
            try {
              await fw.grant(g);
            } catch (err) {
              // The guard may be gone (flushed by another tool): check now; if it was rebuilt, retry once.
              if (!(await watch.check('grant-failed'))) throw err;
              await fw.grant(g);
            }
          },
        },
        logger: opts.logger.child({ component: 'knock' }),
        nowMs: clock.now(),
        hostAddresses: new HostAddresses(deps.hostAddresses ?? osAddresses),
        monotonic: () => clock.monotonic(),
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
      // Capture opens before the guard goes up: a capture that cannot start (bad interface, no
      // permission) must leave the firewall untouched. Knocks in the few ms between the two are
      // dropped (the client resends). SYN+ACKs (captured only during a trial) never reach the
      // knock paths.
      source.start((packet, at) => {
        if (!guardUp) return;
        if (packet.synAck) trial.synAck(packet, at);
        else pipeline.handle(packet, at);
      }, pipeline.captureReject);
      await firewall.start(trial.guard(configured));
      guardUp = true;
      writePidFile(config.stateDir);
      daemon = new Daemon(opts, { loadConfig, clock, source, firewall, store, pipeline, arm, trial, watch });
      watch.start();
      daemon.#armStepTimer();
      if (trial.trial) trial.announce(trial.trial.ports, 'run');
      const every = opts.testSeams?.reportEveryMs ?? DEFAULT_REPORT_MS;
      daemon.#reportTimer = setInterval(() => daemon.report('periodic'), every);
      daemon.#startedAtMs = clock.now();
      if (config.metricsTextfile) {
        await daemon.writeMetrics();
        daemon.#metricsTimer = setInterval(
          () => void daemon.writeMetrics(),
          opts.testSeams?.metricsEveryMs ?? METRICS_EVERY_MS,
        );
      }
      log.info(
        {
          interfaces: config.interfaces,
          knockPorts: pipeline.watchedPorts,
          step: pipeline.step,
          sequencePorts: config.sequence ? config.sequence.range : undefined,
          services: [...config.services.keys()],
          clients: config.clients.size + config.fwknop.clients.size,
          ...(config.fwknop.clients.size > 0
            ? { fwknop: { port: config.fwknop.port, clients: config.fwknop.clients.size } }
            : {}),
          firewall: firewall.name,
          ...(trial.trial
            ? { trial: { ports: portList(trial.trial.ports), seconds: opts.trialSeconds } }
            : {}),
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

  /**
   * [metrics] textfile: the counters and the live grants (the firewall's list()) for
   * node_exporter (metrics-file.ts). One write at a time, none once stopping. A failure is
   * logged once until it works again; a firewall that cannot list leaves its gauge out.
   */
  async writeMetrics(): Promise<void> {
    const path = this.pipeline.config.metricsTextfile;
    if (!path || this.#metricsBusy || this.#stopping) return;
    this.#metricsBusy = true;
    try {
      const liveGrants = await this.#firewall.list().then(
        (l) => l.length,
        () => undefined,
      );
      const text = renderMetrics({
        counters: this.counters(),
        startedAtMs: this.#startedAtMs,
        lastReloadAtMs: this.#lastReloadAtMs,
        replayEntries: this.#store.size,
        liveGrants,
      });
      writeMetricsFile(path, text);
      this.#metricsFailing = false;
    } catch (err) {
      if (!this.#metricsFailing) this.#log.warn({ err, path }, 'metrics textfile not written');
      this.#metricsFailing = true;
    } finally {
      this.#metricsBusy = false;
    }
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
      const trialSeconds = this.#trial.takeRequest(this.pipeline.config.stateDir);
      let loaded: ServerConfig;
      try {
        loaded = this.#loadConfig(this.#configPath);
      } catch (err) {
        // A ConfigError's message names the file, key and fix: that, not a JS stack, is news to the admin.
        const detail = isConfigError(err) ? { code: err.code, error: err.message } : { err };
        this.#log.error(detail, 'reload failed; keeping the previous configuration');
        return false;
      }
      const plan = planReload(this.pipeline.config, loaded);
      const now = this.#clock.now();
      // Newly guarded: configured now, not guarded before (a port a failed trial left
      // unguarded counts as new, so a reload --trial tries it again).
      const configured = guardedPorts(plan.config.services);
      const fresh = this.#trial.fresh(guardedPorts(this.pipeline.config.services), configured);
      if (trialSeconds !== undefined && fresh.length > 0 && !fresh.some((p) => p.protocol === 'tcp')) {
        this.#log.error(
          { newlyGuarded: portList(fresh) },
          'reload --trial refused: the newly guarded ports include no TCP port, so nothing could confirm the trial; kept the previous configuration',
        );
        return false;
      }
      if (plan.needRestart.length > 0)
        this.#log.warn({ fields: plan.needRestart }, 'changed settings need a restart; kept the old values');
      const changes = clientChanges(this.pipeline.config, plan.config);
      try {
        const previousLevel = this.pipeline.config.logLevel;
        this.pipeline.reload(plan.config, now);
        if (plan.config.logLevel !== previousLevel) this.#root.level = plan.config.logLevel;
        this.#trial.reloaded(configured, fresh, trialSeconds);
        await this.#firewall.start(this.#trial.guard(configured));
      } catch (err) {
        this.#log.error({ err }, 'reload failed');
        return false;
      }
      for (const notice of plan.config.notices ?? []) this.#log.warn({ notice }, 'config notice');
      this.#lastReloadAtMs = this.#clock.now();
      const fwknop = plan.config.fwknop.clients.size;
      this.#log.info(
        {
          // Every client counts, native and fwknop (fwknop also on its own, as in "listening").
          clients: plan.config.clients.size + fwknop,
          ...(fwknop > 0 ? { fwknop: { port: plan.config.fwknop.port, clients: fwknop } } : {}),
          services: [...plan.config.services.keys()],
          ...changes,
        },
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
      clearInterval(this.#metricsTimer);
      this.#watch.stop(); // before idle(): a failing grant must not queue a rebuild behind this stop
      this.#trial.close();
      this.#arm.live = false;
      this.#source.stop();
      await this.pipeline.idle();
      const config = this.pipeline.config;
      this.#trial.stopping(config.firewall.onStop);
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
    return this.#trial.trial;
  }

  /** Ports a failed trial left unguarded ("tcp/22"). */
  get unguarded(): string[] {
    return this.#trial.unguarded;
  }

  /** One reload or stop at a time. */
  #serial<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(job, job);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Roll at every step boundary (the per-packet check covers a late or early timer), and look
   * at the clock every CLOCK_CHECK_MS in between (a step of the wall clock rolls back or forward
   * at once). The roll re-arms the capture filter in place (filter-horizon.ts).
   */
  #armStepTimer(): void {
    const now = this.#clock.now();
    const delay = Math.min(
      msLeftInStep(now, this.pipeline.config.stepSeconds) + ROLL_MARGIN_MS,
      CLOCK_CHECK_MS,
    );
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

/**
 * `replay store loaded` at info; a damaged store (replay/damage.ts) also at warn, with what
 * was skipped and until when knocks and sequences are refused as `forgotten`.
 */
function logStoreLoaded(log: Logger, store: ReplayStore): void {
  const loaded = store.loaded;
  log.info({ replay: loaded }, 'replay store loaded');
  if (!loaded.damage) return;
  log.warn(
    {
      damage: loaded.damage,
      skipped: loaded.skipped,
      loadedKnocks: loaded.knocks,
      loadedSequences: loaded.sequences,
      refuseKnocksStampedBefore: new Date(store.knockFloorMs).toISOString(),
      refuseSequencesBurnedUntil: new Date(store.sequenceFloorMs).toISOString(),
    },
    'replay store damaged: one-time ids may have been lost; knocks stamped before the start + max future skew are refused (forgotten)',
  );
}

/** Attempts to re-arm the capture after a failure; the old filter still covers T+1 meanwhile. */
const REARM_ATTEMPTS = 10;
const REARM_RETRY_MS = 1000;

/**
 * Apply a new capture filter to the open handles (in place). A failure (libpcap rejected the
 * filter) must not kill the daemon: the old filter stays in force, still admitting T and T+1
 * of the new step, so log it and try again a little later.
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
