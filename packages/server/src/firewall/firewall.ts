/**
 * The firewall seam: the daemon verifies a knock, then asks a `Firewall` to let one source
 * address reach one guarded port for N seconds. Backends: nftables (default), iptables+ipset,
 * command (argv templates), dry-run; tests use an in-memory fake. See docs/firewall.md.
 */
import { SpaError } from '@spa/shared';

export type L4 = 'tcp' | 'udp';

export interface GuardedPort {
  protocol: L4;
  port: number;
  /**
   * A trial guard (trial/trial.ts): the kernel drops this port's guard by itself after this
   * many seconds (1..MAX_GRANT_SECONDS) unless a later start() lists it again without one, so a
   * daemon that dies mid-trial cannot lock the admin out. Only backends whose `trial` is
   * 'kernel' (nftables: a set element with a timeout; iptables: an ipset entry) honour it; the
   * others guard the port like any other and rely on the daemon to roll back.
   * Undefined = guarded until the next start() leaves it out.
   */
  trialSeconds?: number;
}

export interface Grant {
  /** Canonical IPv4 (dotted decimal) or IPv6 (RFC 5952) text. Other spellings are canonicalised. */
  address: string;
  protocol: L4;
  port: number;
  /** 1..MAX_GRANT_SECONDS. */
  seconds: number;
  /**
   * Who knocked: stored with the grant where the backend can (nftables: the element's comment),
   * so `status` can say whose grant it is. 1-63 of A-Z a-z 0-9 . _ - (a client name).
   */
  client?: string;
}

/** A guarded port as the kernel has it now. */
export interface GuardState {
  protocol: L4;
  port: number;
  /** Seconds until the kernel drops this port's guard (a port on trial); undefined = for good. */
  trialSecondsLeft?: number;
}

export interface LiveGrant {
  address: string;
  protocol: L4;
  port: number;
  /** Whole seconds until the kernel (or the in-memory table) drops the grant. */
  secondsLeft: number;
  /** The client the grant was made for, when the backend stores it (nftables). */
  client?: string;
}

/**
 * How a backend holds a trial guard: 'kernel' = the kernel lifts a trial port's guard by itself
 * (GuardedPort.trialSeconds), so a dead daemon cannot lock the admin out; 'daemon' = the guard
 * is the daemon's to roll back; 'none' = it cannot roll a guard back (a trial is refused).
 */
export type TrialSupport = 'kernel' | 'daemon' | 'none';

export interface Firewall {
  readonly name: string;
  readonly trial: TrialSupport;
  /**
   * Create or update the guard idempotently: guarded ports are dropped for everyone without a
   * grant, ports left out are no longer guarded. Live grants are kept. Called again to confirm
   * a trial (the same ports without trialSeconds) or to roll it back (without those ports).
   */
  start(guarded: GuardedPort[]): Promise<void>;
  /** Add a grant, or refresh its timeout if it exists (never a duplicate entry). */
  grant(g: Grant): Promise<void>;
  list(): Promise<LiveGrant[]>;
  /** The guarded ports in the kernel now (backends that keep the guard there: nftables, iptables). */
  guard?(): Promise<GuardState[]>;
  /**
   * Is everything start() made still in place (nftables: the table, its sets, its chain on the
   * input hook with all its rules, the permanently guarded ports; iptables: the sets, the chain,
   * its rules and its jump from INPUT)? Another tool can remove it (`nft flush ruleset`,
   * `iptables -F`), which opens every guarded port. Backends whose guard is not ours to see
   * (command, dry-run) have no such method.
   */
  intact?(): Promise<boolean>;
  /**
   * Rebuild the guard after it was removed behind our back: start(guarded), then every grant
   * this process gave that is still live, with the time it has left. Returns how many grants
   * were put back.
   */
  heal?(guarded: GuardedPort[]): Promise<number>;
  /** Remove every grant for this address (all ports); returns how many were removed. */
  revoke(address: string): Promise<number>;
  /** keep = leave the guard and live grants in the kernel (fail closed, the default); remove = delete everything this backend created. */
  stop(mode: 'keep' | 'remove'): Promise<void>;
}

/** Largest grant: ipset's limit (2^31 - 1 ms), which also keeps every backend's timer in range. */
export const MAX_GRANT_SECONDS = 2_147_483;

/** Structured log sink, pino-like: a message and fields. */
export type LogFn = (msg: string, fields?: Record<string, unknown>) => void;

/** Milliseconds since an arbitrary epoch; injected so expiry is testable. */
export type Clock = () => number;

/**
 * Configuration and system errors. `code` is stable; `hint` tells the operator what to do.
 * Codes: bad-argument (configuration or a programming error), firewall-failed (the tool said
 * no; the message carries its stderr), firewall-timeout, firewall-unavailable (tool missing),
 * firewall-permission (not root / no CAP_NET_ADMIN), firewall-unsupported (e.g. no revoke
 * command configured).
 */
export class FirewallError extends SpaError {
  constructor(code: string, message: string, hint = '') {
    super(code, message, hint);
    this.name = 'FirewallError';
  }
}
