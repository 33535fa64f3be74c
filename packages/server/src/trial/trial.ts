/**
 * A trial guard: the guard on some ports stays only if the admin proves, within the trial
 * time, that a knock really gets them back in. Pure: time comes in with every input.
 *
 *   pending ──(grant for a trial TCP port to A) … (SYN+ACK from that port to A)──▶ confirmed
 *      │
 *      └──(tick at or past the deadline)──▶ rolled-back   reason: no-knock | no-connection
 *
 * Proof = the host's own SYN+ACK leaving a trial TCP port towards an address that was granted
 * that port during the trial: a NEW connection from the knocking address got through every
 * firewall table (the host's own included) and the service answered. The admin's existing
 * session proves nothing (established flows pass the guard anyway), so it never confirms.
 *
 * The daemon (daemon.ts) feeds it grants (from the pipeline's firewall calls) and SYN+ACKs
 * (a capture term that exists only while a trial is pending), applies the outcome to the
 * firewall and logs it. The kernel backstop (TRIAL_KERNEL_MARGIN_SECONDS) covers a daemon that
 * dies before it can roll back.
 */
import { SpaError } from '@spa/shared';
import type { GuardedPort, L4 } from '../firewall/index.js';

export type TrialState = 'pending' | 'confirmed' | 'rolled-back';

/** Why a trial was rolled back. */
export type TrialFailure =
  /** No knock granted a trial TCP port during the trial. */
  | 'no-knock'
  /** A knock was granted, but no new connection from that address reached the service. */
  | 'no-connection';

export interface TrialPort {
  readonly protocol: L4;
  readonly port: number;
}

export interface TrialGrant {
  readonly address: string;
  readonly protocol: L4;
  readonly port: number;
  readonly atMs: number;
}

export interface TrialSynAck {
  /** The service port the SYN+ACK leaves from. */
  readonly srcPort: number;
  /** The address it goes to (the connecting client). */
  readonly dstAddress: string;
  readonly atMs: number;
}

export type TrialOutcome =
  | { readonly state: 'confirmed'; readonly address: string; readonly port: number; readonly atMs: number }
  | {
      readonly state: 'rolled-back';
      readonly reason: TrialFailure;
      /** Addresses granted a trial TCP port during the trial (for the log). */
      readonly granted: readonly string[];
    };

/**
 * Seconds the kernel keeps a trial port's guard beyond the trial time: the daemon rolls back
 * at the deadline (checked every TRIAL_TICK_MS), and a confirmation at the last moment must
 * reach the firewall before the kernel drops the element.
 */
export const TRIAL_KERNEL_MARGIN_SECONDS = 10;
/** How often the daemon checks the deadline. */
export const TRIAL_TICK_MS = 500;
/** Shortest and longest trial. */
export const MIN_TRIAL_SECONDS = 1;
export const MAX_TRIAL_SECONDS = 86_400;
const key = (p: TrialPort): string => `${p.protocol}/${p.port}`;

export class Trial {
  #state: TrialState = 'pending';
  #deadlineMs: number;
  readonly #ports = new Map<string, TrialPort>();
  /** address → TCP trial ports granted to it during the trial. */
  readonly #granted = new Map<string, Set<number>>();

  constructor(ports: readonly TrialPort[], startMs: number, seconds: number) {
    this.#deadlineMs = startMs + seconds * 1000;
    for (const p of ports) this.#ports.set(key(p), { protocol: p.protocol, port: p.port });
  }

  get state(): TrialState {
    return this.#state;
  }

  get deadlineMs(): number {
    return this.#deadlineMs;
  }

  /** The ports on trial, sorted by port then protocol. */
  get ports(): TrialPort[] {
    return [...this.#ports.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
  }

  /** TCP trial ports: the only ones a trial can be confirmed with (and the capture term's). */
  get tcpPorts(): number[] {
    return this.ports.filter((p) => p.protocol === 'tcp').map((p) => p.port);
  }

  has(p: TrialPort): boolean {
    return this.#ports.has(key(p));
  }

  /** Whole seconds until the deadline (0 once past it). */
  secondsLeft(nowMs: number): number {
    return Math.max(0, Math.ceil((this.#deadlineMs - nowMs) / 1000));
  }

  /** Ports added to a pending trial (a reload --trial meanwhile); the later deadline holds. */
  extend(ports: readonly TrialPort[], deadlineMs: number): void {
    if (this.#state !== 'pending') return;
    for (const p of ports) this.#ports.set(key(p), { protocol: p.protocol, port: p.port });
    this.#deadlineMs = Math.max(this.#deadlineMs, deadlineMs);
  }

  /** Ports no longer configured leave the trial. Returns false if none is left. */
  keepOnly(isGuarded: (p: TrialPort) => boolean): boolean {
    for (const [k, p] of this.#ports) if (!isGuarded(p)) this.#ports.delete(k);
    return this.#ports.size > 0;
  }

  /** The firewall accepted a grant. Only TCP trial ports within the trial count. */
  noteGrant(g: TrialGrant): void {
    if (this.#state !== 'pending' || g.atMs > this.#deadlineMs) return;
    if (g.protocol !== 'tcp' || !this.#ports.has(key(g))) return;
    const ports = this.#granted.get(g.address) ?? new Set<number>();
    ports.add(g.port);
    this.#granted.set(g.address, ports);
  }

  /** The host answered a new connection. Confirms if it goes to an address granted that port. */
  noteSynAck(s: TrialSynAck): TrialOutcome | undefined {
    if (this.#state !== 'pending' || s.atMs > this.#deadlineMs) return undefined;
    if (!this.#granted.get(s.dstAddress)?.has(s.srcPort)) return undefined;
    this.#state = 'confirmed';
    return { state: 'confirmed', address: s.dstAddress, port: s.srcPort, atMs: s.atMs };
  }

  /** Rolls back once the deadline has passed without a confirmation. */
  tick(nowMs: number): TrialOutcome | undefined {
    if (this.#state !== 'pending' || nowMs < this.#deadlineMs) return undefined;
    this.#state = 'rolled-back';
    const granted = [...this.#granted.keys()];
    return { state: 'rolled-back', reason: granted.length === 0 ? 'no-knock' : 'no-connection', granted };
  }
}

/**
 * The guard to hand to Firewall.start: the configured ports minus those a failed trial left
 * unguarded, each trial port with its kernel timeout (time left + margin).
 */
export function guardWithTrial(
  configured: readonly GuardedPort[],
  unguarded: ReadonlySet<string>,
  trial: Trial | undefined,
  nowMs: number,
): GuardedPort[] {
  const pending = trial?.state === 'pending' ? trial : undefined;
  const out: GuardedPort[] = [];
  for (const p of configured) {
    if (unguarded.has(key(p))) continue;
    out.push(
      pending?.has(p)
        ? {
            protocol: p.protocol,
            port: p.port,
            trialSeconds: pending.secondsLeft(nowMs) + TRIAL_KERNEL_MARGIN_SECONDS,
          }
        : { protocol: p.protocol, port: p.port },
    );
  }
  return out;
}

/** "tcp/22" */
export const portKey = key;

/** "tcp/22, udp/53" for log lines. */
export function portList(ports: readonly TrialPort[]): string {
  return ports.map(key).join(', ');
}

/** A trial that cannot work (codes: trial-no-tcp, trial-seconds, trial-backend). */
export class TrialError extends SpaError {
  constructor(code: string, message: string, hint = '') {
    super(code, message, hint);
    this.name = 'TrialError';
  }
}

/** Checks a trial length in whole seconds. */
export function checkTrialSeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < MIN_TRIAL_SECONDS || seconds > MAX_TRIAL_SECONDS) {
    throw new TrialError(
      'trial-seconds',
      `trial time ${String(seconds)} s is out of range`,
      `use whole seconds from ${MIN_TRIAL_SECONDS} to ${MAX_TRIAL_SECONDS}, e.g. --trial 2m`,
    );
  }
  return seconds;
}

/** Without a TCP port there is nothing to confirm a trial with. */
export function checkTrialPorts(ports: readonly TrialPort[], what: string): void {
  if (ports.some((p) => p.protocol === 'tcp')) return;
  throw new TrialError(
    'trial-no-tcp',
    `--trial: ${what} ${ports.length === 0 ? 'no port' : `only ${portList(ports)}`}, no TCP port: nothing to confirm the trial with`,
    'a trial is confirmed by a knock and then a new TCP connection to a guarded service; guard a TCP service too, or leave out --trial',
  );
}
