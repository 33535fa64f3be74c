/**
 * The daemon's per-packet path, cheapest check first. A packet addressed to another host (its
 * destination is not one of this host's addresses) is refused as `not-for-us` before anything
 * else (verify/destination.ts). A packet is an SPA knock only if it is
 * UDP to a watched knock port (steps T-1, T, T+1); the capture filter also admits the ports of
 * later steps (FilterHorizon), and those, like any other port, are refused as `port` before any
 * crypto. For an SPA knock:
 *
 *   size → O(1) client lookup → knock tag (constant time) → decrypt → version → server id
 *   → step binding → time window                                        (KnockVerifier)
 *   → key revoked or expired        no disk write for a dead (maybe stolen) key
 *   → replay                        the one-time id was seen
 *   → signature                     two-factor clients: their SSH key signed this knock
 *                                   (verify/signature.ts; budgeted per client, never for a replay)
 *   → record the id (sync write)    from here on the id is spent, whatever the policy says,
 *                                   so a later policy change cannot make a replay work
 *   → policy                        services, allowed networks, literal address, duration
 *   → grant                         the firewall, asynchronously; logged at info when done
 *
 * A knock in the sequence range goes to the sequence tracker; a completed sequence is burned
 * (sync write) and then goes through the same policy (sequence rules) and grant.
 *
 * A UDP packet to the fwknop port (when there are [fwknop_clients]) is a packet of the stock
 * fwknop client (docs/fwknop.md): length cap, shape, per-source and global budget (FwknopGate,
 * so a flood there cannot starve native knocks) → HMAC per candidate client (constant time) → decrypt → decode
 * → time window (FwknopVerifier) → revoked/expired → replay (SHA-256 of the packet) → record
 * → fwknop refusals (command, NAT, username) and policy → grant, like a native knock.
 *
 * Every rejection is counted by reason and logged at debug (with a budget). Nothing here
 * throws on packet bytes; log lines carry names, addresses and ports, never key material.
 */
import { performance } from 'node:perf_hooks';
import { deriveServerKeys, fwknopReplayId, parseIp, stepStartMs, timeStep, toHex } from '@spa/shared';
import type { Logger } from 'pino';
import type { CapturedPacket, CaptureReject } from '../capture/index.js';
import type { ClientStanding, ServerConfig } from '../config/types.js';
import type { Firewall } from '../firewall/index.js';
import { clientStanding, evaluateFwknopPolicy, evaluatePolicy, type PolicyGrant } from '../policy/index.js';
import type { ReplayStore } from '../replay/index.js';
import { SequenceTracker } from '../sequence/index.js';
import {
  type BudgetSettings,
  type FwknopBudget,
  FwknopGate,
  type HostAddresses,
  SignatureGate,
} from '../verify/index.js';
import { AuditLog } from './audit-log.js';
import { ClockWatch } from './clock-watch.js';
import { Counters } from './counters.js';
import { type ArmedSteps, FilterHorizon } from './filter-horizon.js';
import type { KnockReject } from './reasons.js';
import { RejectLog } from './reject-log.js';
import { sequenceKnock } from './sequence-knock.js';
import { fwknopCapturePort } from './steps.js';
import { buildTables, type StepTables } from './tables.js';

export interface PipelineSetup {
  readonly config: ServerConfig;
  readonly store: ReplayStore;
  readonly firewall: Pick<Firewall, 'grant'>;
  readonly logger: Logger;
  /** Time of the first roll (the daemon's clock). */
  readonly nowMs: number;
  /**
   * Called with the new capture filter whenever a step roll re-arms it: at every step
   * (FilterHorizon, K = 1), never with a fixed knock port.
   */
  readonly onFilter?: (filter: string) => void;
  /** K of the filter horizon (default FILTER_HORIZON_STEPS); tests use other values. */
  readonly filterHorizonSteps?: number;
  /**
   * This host's addresses: a packet to any other destination is `not-for-us`. The daemon
   * always passes them (from the OS); without them (unit tests) every destination is ours.
   */
  readonly hostAddresses?: HostAddresses;
  /** Budgets of the fwknop port (default DEFAULT_FWKNOP_BUDGET); tests use others. */
  readonly fwknopBudget?: FwknopBudget;
  /** Bound of the sequence tracker (default 10,000 sources). */
  readonly maxSequenceSources?: number;
  /** Monotonic clock (ms), to tell a step of the wall clock. Default performance.now. */
  readonly monotonic?: () => number;
  /** Signature checks per client (default DEFAULT_SIGNATURE_BUDGET). */
  readonly signatureBudget?: BudgetSettings;
}

/**
 * How far before the start of the current step the wall clock must be for the tables to roll
 * back: a real step back, not a packet stamped a moment before the timer's roll.
 */
export const ROLL_BACK_MS = 1_000;

export class KnockPipeline {
  readonly counters = new Counters();
  readonly #store: ReplayStore;
  readonly #firewall: Pick<Firewall, 'grant'>;
  readonly #log: Logger;
  readonly #rejectLog: RejectLog;
  readonly #audit: AuditLog;
  readonly #onFilter: ((filter: string) => void) | undefined;
  readonly #tracker: SequenceTracker;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #signatures: SignatureGate;
  /** Built from restart-only settings (keys, knock ports, sequences): kept across reloads. */
  readonly #horizon: FilterHorizon;
  readonly #hostAddresses: HostAddresses | undefined;
  /** Length cap and budgets in front of the fwknop HMAC loop. */
  readonly #fwknopGate: FwknopGate;
  /** The fwknop port the capture watches; undefined = no fwknop clients. */
  #fwknopPort: number | undefined;
  readonly #monotonic: () => number;
  readonly #clockWatch: ClockWatch;
  #config: ServerConfig;
  #tables: StepTables;
  /** Before this, the wall clock was set back: roll back (start of the step − ROLL_BACK_MS). */
  #rollBackBeforeMs = 0;

  constructor(setup: PipelineSetup) {
    this.#config = setup.config;
    this.#store = setup.store;
    this.#firewall = setup.firewall;
    this.#log = setup.logger;
    this.#rejectLog = new RejectLog(setup.logger);
    this.#audit = new AuditLog(setup.logger);
    this.#onFilter = setup.onFilter;
    this.#signatures = new SignatureGate(setup.signatureBudget);
    this.#tracker = new SequenceTracker({
      gapMs: setup.config.sequence?.gapMs ?? 0,
      isBurned: (id) => this.#store.isBurned(id),
      ...(setup.maxSequenceSources ? { maxSources: setup.maxSequenceSources } : {}),
    });
    this.#monotonic = setup.monotonic ?? (() => performance.now());
    this.#clockWatch = new ClockWatch(setup.nowMs, this.#monotonic());
    this.#tables = buildTables(setup.config, timeStep(setup.nowMs, setup.config.stepSeconds));
    this.#rollBackBeforeMs = this.#rollBackBefore(this.#tables.step);
    this.#horizon = new FilterHorizon(
      setup.config,
      deriveServerKeys(setup.config.serverSecret).port,
      setup.filterHorizonSteps,
    );
    this.#horizon.roll(this.#tables.step);
    this.#fwknopPort = fwknopCapturePort(setup.config);
    this.#fwknopGate = new FwknopGate(setup.nowMs, setup.fwknopBudget);
    this.#hostAddresses = setup.hostAddresses;
  }

  get config(): ServerConfig {
    return this.#config;
  }

  /** The step the tables were rolled to. */
  get step(): number {
    return this.#tables.step;
  }

  /** UDP ports of the SPA knock steps T-1, T, T+1. */
  get watchedPorts(): readonly number[] {
    return this.#tables.watched;
  }

  /** The capture filter to be in force now: the SPA ports of the armed steps, the sequence range. */
  get filter(): string {
    return this.#horizon.filter;
  }

  /** The steps whose knock ports the capture filter admits (T-1 .. T+K at the last re-arm). */
  get filterSteps(): ArmedSteps {
    return this.#horizon.armed!;
  }

  /** Sources with progress in a sequence now. */
  get sequenceSources(): number {
    return this.#tracker.size;
  }

  /** The PacketSource handler. Never throws. */
  readonly handle = (packet: CapturedPacket, receivedAtMs: number): void => {
    try {
      this.#handle(packet, receivedAtMs);
    } catch (err) {
      // A bug, not attacker input (every check returns a reason): count it, keep capturing,
      // and log the 1st, 2nd, 4th, 8th… occurrence so a packet that triggers it cannot flood.
      this.counters.add('internal-error');
      const n = this.counters.get('internal-error');
      if ((n & (n - 1)) === 0) this.#log.error({ err, occurrences: n }, 'packet handler failed');
    }
  };

  /** The PacketSource reject handler: frames dropped by the capture, counted only. */
  readonly captureReject = (reason: CaptureReject): void => {
    this.counters.add(`capture:${reason}`);
  };

  /**
   * Roll the tables (and, when its horizon says so, the capture filter) to the step of `nowMs`:
   * forward at a step boundary, and back when the wall clock was set back by more than
   * ROLL_BACK_MS (a packet stamped a moment before the timer's roll must not flip the tables).
   * A step of the wall clock is logged at warn with its size. Returns true if rolled.
   */
  roll(nowMs: number): boolean {
    const stepped = this.#clockWatch.observe(nowMs, this.#monotonic());
    const from = this.#tables.step;
    const step = timeStep(nowMs, this.#config.stepSeconds);
    if (stepped !== 0) {
      this.#log.warn({ stepMs: stepped, from, to: step }, 'wall clock stepped');
      // Gap timeouts are measured on the wall clock: progress from before the step means nothing.
      this.#tracker.clear();
    }
    if (step === from || (step < from && nowMs >= this.#rollBackBeforeMs)) return false;
    this.#tables.roll(step);
    this.#rollBackBeforeMs = this.#rollBackBefore(step);
    if (this.#horizon.roll(step)) this.#onFilter?.(this.#horizon.filter);
    this.#tracker.sweep(nowMs);
    try {
      this.#store.compactIfWorthIt(nowMs);
    } catch (err) {
      this.#log.error({ err }, 'replay store compaction failed');
    }
    return true;
  }

  #rollBackBefore(step: number): number {
    return stepStartMs(step, this.#config.stepSeconds) - ROLL_BACK_MS;
  }

  /**
   * Take a reloaded configuration (clients, policy, services, fwknop clients and port). Builds
   * the new tables first: if that throws, the old configuration stays. Live grants are not
   * touched. The capture filter is re-armed if the step has moved past its horizon, or if the
   * fwknop port to capture changed; knock ports and sequences are restart-only (reload.ts).
   */
  reload(config: ServerConfig, nowMs: number): void {
    const now = timeStep(nowMs, config.stepSeconds);
    // Back only as roll() would: the wall clock set back, not a reload a moment before a boundary.
    const step = now < this.#tables.step && nowMs >= this.#rollBackBeforeMs ? this.#tables.step : now;
    const tables = buildTables(config, step);
    this.#config = config;
    this.#tables = tables;
    this.#rollBackBeforeMs = this.#rollBackBefore(step);
    this.#signatures.retain(config);
    // The step may have moved on since the last roll (no packet, timer not yet fired).
    let changed = this.#horizon.roll(step);
    const fwknopPort = fwknopCapturePort(config);
    if (fwknopPort !== this.#fwknopPort) {
      // The first fwknop client imported, the last removed, or another port: re-arm now.
      this.#fwknopPort = fwknopPort;
      changed = this.#horizon.setFwknop(config.fwknop) || changed;
    }
    if (changed) this.#onFilter?.(this.#horizon.filter);
  }

  /** Resolves when every grant handed to the firewall so far has settled. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #handle(p: CapturedPacket, atMs: number): void {
    if (atMs >= this.#tables.nextStepMs || atMs < this.#rollBackBeforeMs) this.roll(atMs);
    const reason = this.#route(p, atMs);
    if (reason !== undefined) {
      this.counters.add(reason);
      this.#rejectLog.reject(reason, p, atMs);
    }
  }

  #route(p: CapturedPacket, atMs: number): KnockReject | undefined {
    if (this.#hostAddresses && !this.#hostAddresses.isOurs(p.dstAddress, atMs)) return 'not-for-us';
    // The port check before any crypto: only T-1, T, T+1, although the filter admits more.
    if (p.protocol === 'udp' && this.#tables.watched.includes(p.dstPort)) return this.#knock(p, atMs);
    // The config keeps the fwknop port out of the knock and sequence ranges (config/parse.ts).
    if (p.protocol === 'udp' && p.dstPort === this.#fwknopPort) return this.#fwknop(p, atMs);
    const seq = this.#config.sequence;
    const candidates = this.#tables.candidates;
    if (
      seq &&
      candidates &&
      p.dstPort >= seq.range[0] &&
      p.dstPort <= seq.range[1] &&
      (seq.protocol === 'mixed' || seq.protocol === p.protocol)
    ) {
      return sequenceKnock(p, atMs, {
        tracker: this.#tracker,
        candidates,
        store: this.#store,
        config: this.#config,
        counters: this.counters,
        log: this.#log,
        grant: (client, grants) => this.#grant(client, grants, 'sequence'),
      });
    }
    return 'port';
  }

  /** An SPA knock: a reason if rejected, undefined once the grants are issued. */
  #knock(p: CapturedPacket, atMs: number): KnockReject | undefined {
    const verdict = this.#tables.verifier.verify(p.payload, atMs);
    if (!verdict.ok) {
      // Authentic but outside the time window: a wrong clock on the client. Tell the admin by how much.
      if ('skewMs' in verdict) {
        const skewSeconds = Math.round(verdict.skewMs / 1000);
        this.#audit.refused(
          { client: verdict.client.def.name, address: p.srcAddress, reason: verdict.reason, skewSeconds },
          atMs,
        );
      }
      return verdict.reason;
    }
    const { client, payload } = verdict.value;
    const signed = () => {
      // The budget is a rate: measured on the monotonic clock, so a wall clock set back does not
      // stop its refill (a step of 180 s would otherwise shed a key holder's checks for 180 s).
      const v = this.#signatures.check(client.def, p.payload, payload, this.#monotonic(), this.#config);
      return v.ok ? undefined : v.reason;
    };
    const spent = this.#spend(client.def, toHex(payload.oneTimeId), payload.timestampMs, atMs, signed);
    if (spent) return this.#refused(client.def.name, p.srcAddress, spent, atMs);
    const policy = evaluatePolicy(client.def, payload, p.srcAddress, atMs, this.#config);
    if (!policy.ok) return this.#refused(client.def.name, p.srcAddress, policy.reason, atMs);
    this.#grant(client.def.name, policy.grants, 'knock');
    return undefined;
  }

  /** A packet of the stock fwknop client: a reason if rejected, undefined once granted. */
  #fwknop(p: CapturedPacket, atMs: number): KnockReject | undefined {
    const verifier = this.#tables.fwknop;
    const source = parseIp(p.srcAddress);
    if (!verifier || !source) return 'mac';
    const gated = this.#fwknopGate.admit(p.payload, p.srcAddress, verifier, atMs);
    if (gated) return gated;
    const verdict = verifier.verify(p.payload, source, atMs);
    if (!verdict.ok) return verdict.reason;
    const { client, message } = verdict.value;
    const spent = this.#spend(client, toHex(fwknopReplayId(p.payload)), message.timestampSec * 1000, atMs);
    if (spent) return this.#refused(client.name, p.srcAddress, spent, atMs);
    const policy = evaluateFwknopPolicy(client, message, p.srcAddress, atMs, this.#config);
    if (!policy.ok) {
      // An authentic request spa will never serve: say so at warn, once per packet (each is
      // authenticated and one-time, so only a key holder can make these). Never the command text.
      if (policy.reason === 'policy-command' || policy.reason === 'policy-nat')
        this.#log.warn(
          { client: client.name, address: p.srcAddress, fwknopType: message.type, reason: policy.reason },
          'fwknop request refused: spa does not run commands or NAT',
        );
      else this.#refused(client.name, p.srcAddress, policy.reason, atMs);
      return policy.reason;
    }
    this.#grant(client.name, policy.grants, 'fwknop');
    return undefined;
  }

  /**
   * An authenticated knock refused by the policy (revoked, expired, source, service…): at info
   * with the client's name (audit-log.ts). A replay is not news (anyone can resend a packet): debug only.
   */
  #refused(client: string, address: string, reason: KnockReject, atMs: number): KnockReject {
    if (reason.startsWith('policy-')) this.#audit.refused({ client, address, reason }, atMs);
    return reason;
  }

  /**
   * An authentic, fresh knock spends its one-time id: refused if the key is revoked or expired
   * (no disk write for a dead key) or the id was seen; else recorded (sync write) before any
   * policy, so a later policy change cannot make a replay work. A reason, or undefined once spent.
   */
  #spend(
    client: ClientStanding,
    id: string,
    timestampMs: number,
    atMs: number,
    /** A check between the replay check and the record (the knock's signature). */
    beforeRecord?: () => KnockReject | undefined,
  ): KnockReject | undefined {
    const standing = clientStanding(client, atMs);
    if (standing) return standing;
    const fresh = this.#store.check(id, timestampMs, atMs);
    if (fresh !== 'ok') return fresh;
    const refused = beforeRecord?.();
    if (refused) return refused;
    try {
      this.#store.record(id, timestampMs);
    } catch (err) {
      this.#log.error({ err }, 'replay store write failed; knock refused');
      return 'store';
    }
    return undefined;
  }

  #grant(client: string, grants: readonly PolicyGrant[], via: 'knock' | 'sequence' | 'fwknop'): void {
    for (const g of grants) {
      this.counters.add('grant');
      const { address, protocol, port, seconds, service } = g;
      let issued: Promise<void>;
      try {
        issued = this.#firewall.grant({ address, protocol, port, seconds, client });
      } catch (err) {
        issued = Promise.reject(err);
      }
      const pending = issued.then(
        () => this.#log.info({ client, address, service, protocol, port, seconds, via }, 'grant'),
        (err: unknown) => {
          this.counters.add('grant-failed');
          this.#log.error({ err, client, address, service, protocol, port }, 'grant failed');
        },
      );
      this.#inFlight.add(pending);
      void pending.finally(() => this.#inFlight.delete(pending));
    }
  }
}
