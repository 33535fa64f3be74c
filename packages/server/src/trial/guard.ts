/**
 * The daemon's side of a trial guard (`run --trial`, `reload --trial`): the pure Trial
 * (trial.ts) plus what it needs from the world. Grants are noted on their way to the
 * firewall; the host's SYN+ACKs from the trial ports come from the capture (a filter term that
 * exists only while a trial is pending); a timer checks the deadline; the outcome re-applies
 * the guard (permanent, or without the trial ports) and is logged loudly.
 *
 * Ports a failed trial left unguarded stay unguarded until a `reload --trial` puts them on
 * trial again: a plain reload must not re-guard, unasked, a port the admin could not reach.
 */
import type { Logger } from 'pino';
import type { CapturedPacket } from '../capture/index.js';
import { synAckTerm } from '../capture/index.js';
import type { Firewall, Grant, GuardedPort } from '../firewall/index.js';
import { canonicalOrAsIs } from '../firewall/index.js';
import { takeTrialRequest } from './request-file.js';
import {
  checkTrialPorts,
  guardWithTrial,
  portKey,
  portList,
  TRIAL_KERNEL_MARGIN_SECONDS,
  TRIAL_TICK_MS,
  Trial,
  type TrialOutcome,
  type TrialPort,
} from './trial.js';

/** Milliseconds since the epoch (the daemon's clock). */
export interface Clock {
  now(): number;
}

export interface TrialGuardDeps {
  readonly firewall: Firewall;
  readonly clock: Clock;
  readonly log: Logger;
  /** The ports the configuration guards now. */
  readonly configured: () => GuardedPort[];
  /** The capture's trial term changed: re-arm the capture filter. */
  readonly onTermChange: () => void;
  /** Runs a firewall change after the daemon's pending reloads and stops. */
  readonly serial: (job: () => Promise<void>) => Promise<void>;
  /** True once the daemon is stopping: no more firewall changes. */
  readonly stopping: () => boolean;
}

/** Attempts to apply the guard after a trial's outcome. */
const GUARD_ATTEMPTS = 10;
const GUARD_RETRY_MS = 1000;

export class TrialGuard {
  readonly #deps: TrialGuardDeps;
  #trial: Trial | undefined;
  /** Ports ("tcp/22") a failed trial left unguarded; guarded again only by a reload --trial. */
  readonly #unguarded = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;

  constructor(deps: TrialGuardDeps) {
    this.#deps = deps;
  }

  /** The trial in force, if any. */
  get trial(): Trial | undefined {
    return this.#trial;
  }

  get unguarded(): string[] {
    return [...this.#unguarded];
  }

  /** The capture term for the host's SYN+ACKs from the trial TCP ports, while one is pending. */
  get term(): string | undefined {
    const tcp = this.#trial?.state === 'pending' ? this.#trial.tcpPorts : [];
    return tcp.length > 0 ? synAckTerm(tcp) : undefined;
  }

  /** `run --trial`: every configured port goes on trial (before the guard goes up). */
  begin(configured: readonly GuardedPort[], seconds: number): void {
    checkTrialPorts(configured, 'the configured services have');
    this.#trial = new Trial(configured, this.#deps.clock.now(), seconds);
  }

  /** What the firewall should guard now: the configured ports, trial ones with their timeout. */
  guard(configured: readonly GuardedPort[]): GuardedPort[] {
    return guardWithTrial(configured, this.#unguarded, this.#trial, this.#deps.clock.now());
  }

  /** Ports configured now that were not guarded before (a port a failed trial left open counts). */
  fresh(before: readonly GuardedPort[], configured: readonly GuardedPort[]): TrialPort[] {
    const guarded = new Set(
      guardWithTrial(before, this.#unguarded, undefined, this.#deps.clock.now()).map(portKey),
    );
    return configured.filter((p) => !guarded.has(portKey(p)));
  }

  /** A grant on its way to the firewall: noted before the firewall answers (a fast SYN+ACK cannot race it). */
  noteGrant(g: Grant): void {
    this.#trial?.noteGrant({
      address: canonicalOrAsIs(g.address),
      protocol: g.protocol,
      port: g.port,
      atMs: this.#deps.clock.now(),
    });
  }

  /** A SYN+ACK the capture saw leaving the host. */
  synAck(packet: CapturedPacket, atMs: number): void {
    const trial = this.#trial;
    if (trial?.state !== 'pending') return;
    const outcome = trial.noteSynAck({ srcPort: packet.srcPort, dstAddress: packet.dstAddress, atMs });
    if (outcome) this.#settle(outcome);
  }

  /** Reads and deletes the `reload --trial` request in `stateDir`, if any. */
  takeRequest(stateDir: string): number | undefined {
    const request = takeTrialRequest(stateDir);
    if (request && request.seconds === undefined)
      this.#deps.log.error(
        { file: request.file },
        'ignored a malformed trial request; reloading without a trial',
      );
    return request?.seconds;
  }

  /** The trial side of a reload: new trial ports, ports gone from the config. */
  reloaded(
    configured: readonly GuardedPort[],
    fresh: readonly TrialPort[],
    seconds: number | undefined,
  ): void {
    const log = this.#deps.log;
    const isConfigured = (p: TrialPort) => configured.some((c) => portKey(c) === portKey(p));
    for (const k of this.#unguarded) if (!configured.some((c) => portKey(c) === k)) this.#unguarded.delete(k);
    const pending = this.#trial?.state === 'pending' ? this.#trial : undefined;
    if (pending && !pending.keepOnly(isConfigured)) {
      log.warn('trial ended: none of its ports is configured any more');
      this.#end();
    }
    if (seconds === undefined) {
      if (this.#unguarded.size > 0)
        log.warn(
          { unguarded: [...this.#unguarded].join(', ') },
          'still unguarded after a failed trial; spa-server reload --trial 2m guards them again on trial',
        );
      return;
    }
    if (fresh.length === 0) {
      log.warn('reload --trial: no newly guarded port, so nothing is on trial');
      return;
    }
    for (const p of fresh) this.#unguarded.delete(portKey(p));
    const now = this.#deps.clock.now();
    const current = this.#trial?.state === 'pending' ? this.#trial : undefined;
    if (current) current.extend(fresh, now + seconds * 1000);
    else this.#trial = new Trial(fresh, now, seconds);
    this.announce(fresh, 'reload');
  }

  /** Log the trial loudly, arm its deadline check and its capture term. */
  announce(ports: readonly TrialPort[], via: 'run' | 'reload'): void {
    const trial = this.#trial;
    if (!trial) return;
    const seconds = trial.secondsLeft(this.#deps.clock.now());
    this.#deps.log.warn(
      {
        trialPorts: portList(ports),
        confirmWith: trial.tcpPorts.map((p) => `tcp/${p}`).join(', '),
        seconds,
        deadline: new Date(trial.deadlineMs).toISOString(),
        via,
      },
      `TRIAL: the guard on ${portList(ports)} is on trial for ${seconds} s. Knock from a client (spa-client open SERVICE) and connect to a guarded TCP port before then, or the guard is removed again`,
    );
    this.#timer ??= setInterval(() => this.#tick(), TRIAL_TICK_MS);
    this.#deps.onTermChange();
  }

  /** Say what becomes of a pending trial when the daemon stops. */
  stopping(onStop: 'keep' | 'remove'): void {
    const trial = this.#trial;
    if (trial?.state !== 'pending') return;
    const left = trial.secondsLeft(this.#deps.clock.now());
    const backend = this.#deps.firewall.name;
    const kernel = this.#deps.firewall.trial === 'kernel';
    this.#deps.log.warn(
      { trialPorts: portList(trial.ports), onStop },
      onStop === 'remove'
        ? 'stopped during a trial: on_stop = "remove" takes the whole guard away now'
        : kernel
          ? `stopped during a trial: the kernel drops the trial ports' guard by itself in about ${left + TRIAL_KERNEL_MARGIN_SECONDS} s; the other guarded ports stay closed (on_stop = "keep")`
          : `stopped during a trial: the ${backend} backend cannot time the guard out, so the trial ports STAY GUARDED (on_stop = "keep"); start spa-server again, or remove the guard by hand (docs/install.md)`,
    );
  }

  /** Timers off (the daemon stops). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#retry);
  }

  #tick(): void {
    const outcome = this.#trial?.tick(this.#deps.clock.now());
    if (outcome) this.#settle(outcome);
  }

  #settle(outcome: TrialOutcome): void {
    const ports = this.#trial!.ports;
    if (outcome.state !== 'confirmed') for (const p of ports) this.#unguarded.add(portKey(p));
    this.#end();
    // The outcome is logged once the kernel has the new guard, not before: "reachable as
    // before" must be true when the admin reads it (applying it takes a few hundred ms, more
    // on a loaded host, and can fail and be retried).
    void this.#apply(outcome, () => this.#logOutcome(outcome, ports));
  }

  #logOutcome(outcome: TrialOutcome, ports: readonly TrialPort[]): void {
    const log = this.#deps.log;
    if (outcome.state === 'confirmed') {
      log.info(
        { trialPorts: portList(ports), address: outcome.address, port: outcome.port },
        `trial confirmed: ${outcome.address} knocked and connected to tcp/${outcome.port}; the guard on ${portList(ports)} is now permanent`,
      );
      return;
    }
    const why =
      outcome.reason === 'no-knock'
        ? 'no knock was accepted for a trial port in time.'
        : `a knock was accepted (${outcome.granted.join(', ')}) but no new connection from that address reached a trial port in time: does the host's own firewall let it through?`;
    log.error(
      { trialPorts: portList(ports), reason: outcome.reason, granted: outcome.granted },
      `TRIAL NOT CONFIRMED: removed the guard from ${portList(ports)}; these ports are reachable as before spa-server ran, and spa-server keeps running. Why: ${why} Fix that, then try again with spa-server reload --trial 2m`,
    );
  }

  #end(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#deps.onTermChange();
  }

  /**
   * Re-apply the guard after a trial's outcome, then `applied()` (which logs the outcome);
   * retried (bounded) if the firewall fails. Each failure names the outcome it could not apply.
   */
  #apply(outcome: TrialOutcome, applied: () => void, attempt = 1): Promise<void> {
    return this.#deps.serial(async () => {
      const log = this.#deps.log;
      const trialOutcome = outcome.state === 'confirmed' ? 'confirmed' : `not confirmed (${outcome.reason})`;
      if (this.#deps.stopping()) {
        log.warn({ trialOutcome }, 'trial settled while spa-server stops: the guard is left as on_stop says');
        return;
      }
      try {
        await this.#deps.firewall.start(this.guard(this.#deps.configured()));
      } catch (err) {
        const last = attempt >= GUARD_ATTEMPTS;
        log.error(
          { err, attempt, trialOutcome },
          last
            ? 'the guard could not be updated after a trial; giving up (check the firewall, then restart spa-server)'
            : 'the guard could not be updated after a trial; retrying',
        );
        if (!last)
          this.#retry = setTimeout(() => void this.#apply(outcome, applied, attempt + 1), GUARD_RETRY_MS);
        return;
      }
      if (attempt > 1) log.info({ attempt }, 'guard applied');
      applied();
    });
  }
}
