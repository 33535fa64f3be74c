/**
 * Self-healing guard (issue 12, item 6). Another tool can remove spa's table or chains behind
 * its back (`nft flush ruleset` when nftables.service restarts, `iptables -F`), which leaves
 * every guarded port open for good. The watch asks the backend whether its guard is intact
 * every few seconds, and at once when a grant fails; if not, it rebuilds the guard (the ports
 * the daemon guards now, a trial's time left included) with the live grants, logged at error.
 * Backends without `intact` (command, dry-run) are not watched.
 *
 * A guard that stays broken (nft missing, another tool fighting for the table) is retried every
 * check, but logged when it starts and then once a minute with the attempts so far, and its
 * recovery once: not a line every 2 s.
 */
import type { Logger } from 'pino';
import type { Firewall, GuardedPort } from '../firewall/index.js';

/** Period of the check: the guard is back within this plus one rebuild (goal: 5 s). */
export const WATCH_EVERY_MS = 2000;
/** While a failure lasts, it is logged at most this often. */
export const REPEAT_LOG_MS = 60_000;

/** Consecutive failures of one kind, and whether this one should be logged. */
class FailureRun {
  attempts = 0;
  #loggedAt = Number.NEGATIVE_INFINITY;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Counts a failure; true if it is the first or the last line is a minute old. */
  fail(): boolean {
    this.attempts++;
    const t = this.#now();
    if (this.attempts > 1 && t - this.#loggedAt < REPEAT_LOG_MS) return false;
    this.#loggedAt = t;
    return true;
  }

  /** Ends the run; returns how many attempts had failed. */
  end(): number {
    const n = this.attempts;
    this.attempts = 0;
    this.#loggedAt = Number.NEGATIVE_INFINITY;
    return n;
  }
}

export interface FirewallWatchDeps {
  readonly firewall: Firewall;
  /** The guard as the daemon wants it now. */
  readonly guarded: () => GuardedPort[];
  readonly log: Logger;
  /** Runs the rebuild in the daemon's queue, so it never interleaves with a reload or stop. */
  readonly serial: <T>(job: () => Promise<T>) => Promise<T>;
  readonly everyMs?: number;
  /** Monotonic milliseconds, for the once-a-minute repeats (default: performance.now). */
  readonly now?: () => number;
}

export class FirewallWatch {
  readonly #deps: FirewallWatchDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;
  #stopped = false;
  readonly #checkFailures: FailureRun;
  readonly #healFailures: FailureRun;
  /** Rebuilds so far (status, tests). */
  heals = 0;

  constructor(deps: FirewallWatchDeps) {
    this.#deps = deps;
    const now = deps.now ?? (() => performance.now());
    this.#checkFailures = new FailureRun(now);
    this.#healFailures = new FailureRun(now);
  }

  get watching(): boolean {
    return this.#deps.firewall.intact !== undefined && this.#deps.firewall.heal !== undefined;
  }

  start(): void {
    if (!this.watching || this.#timer) return;
    this.#timer = setInterval(() => void this.check('periodic'), this.#deps.everyMs ?? WATCH_EVERY_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  /**
   * Is the guard whole? If not, rebuild it. Resolves true if it rebuilt. Concurrent calls
   * (a burst of failing grants, the timer) share one check.
   */
  check(why: 'periodic' | 'grant-failed'): Promise<boolean> {
    if (!this.watching || this.#stopped) return Promise.resolve(false);
    this.#running ??= this.#checkOnce(why).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #checkOnce(why: 'periodic' | 'grant-failed'): Promise<boolean> {
    const { firewall, log } = this.#deps;
    let intact: boolean;
    let unchecked = false;
    try {
      intact = (await firewall.intact?.()) ?? true;
      this.#checkFailures.end();
    } catch (err) {
      unchecked = true;
      if (this.#checkFailures.fail())
        log.warn(
          { err, failedAttempts: this.#checkFailures.attempts },
          'could not check the firewall guard; rebuilding it to be safe (repeated at most once a minute while it lasts)',
        );
      intact = false;
    }
    if (intact) return false;
    return this.#deps.serial(async () => {
      if (this.#stopped) return false;
      try {
        const restored = (await firewall.heal?.(this.#deps.guarded())) ?? 0;
        this.heals++;
        const failedAttempts = this.#healFailures.end();
        // A rebuild "to be safe" after a failed check is not news; a removal, or the end of a
        // run of failed rebuilds, is.
        if (!unchecked || failedAttempts > 0)
          log.error(
            {
              firewall: firewall.name,
              noticed: why,
              grantsRestored: restored,
              ...(failedAttempts > 0 ? { failedAttempts } : {}),
            },
            'the firewall guard was removed by something else (e.g. nft flush ruleset); rebuilt it with the live grants',
          );
        return true;
      } catch (err) {
        if (this.#healFailures.fail())
          log.error(
            { err, noticed: why, failedAttempts: this.#healFailures.attempts },
            'the firewall guard is gone and could not be rebuilt; retrying every check (logged at most once a minute while it lasts)',
          );
        return false;
      }
    });
  }
}
