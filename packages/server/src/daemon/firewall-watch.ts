/**
 * Self-healing guard (issue 12, item 6). Another tool can remove spa's table or chains behind
 * its back (`nft flush ruleset` when nftables.service restarts, `iptables -F`), which leaves
 * every guarded port open for good. The watch asks the backend whether its guard is intact
 * every few seconds, and at once when a grant fails; if not, it rebuilds the guard (the ports
 * the daemon guards now, a trial's time left included) with the live grants, logged at error.
 * Backends without `intact` (command, dry-run) are not watched.
 */
import type { Logger } from 'pino';
import type { Firewall, GuardedPort } from '../firewall/index.js';

/** Period of the check: the guard is back within this plus one rebuild (goal: 5 s). */
export const WATCH_EVERY_MS = 2000;

export interface FirewallWatchDeps {
  readonly firewall: Firewall;
  /** The guard as the daemon wants it now. */
  readonly guarded: () => GuardedPort[];
  readonly log: Logger;
  /** Runs the rebuild in the daemon's queue, so it never interleaves with a reload or stop. */
  readonly serial: <T>(job: () => Promise<T>) => Promise<T>;
  readonly everyMs?: number;
}

export class FirewallWatch {
  readonly #deps: FirewallWatchDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<boolean> | undefined;
  #stopped = false;
  /** Rebuilds so far (status, tests). */
  heals = 0;

  constructor(deps: FirewallWatchDeps) {
    this.#deps = deps;
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
    try {
      intact = (await firewall.intact?.()) ?? true;
    } catch (err) {
      log.warn({ err }, 'could not check the firewall guard; rebuilding it to be safe');
      intact = false;
    }
    if (intact) return false;
    return this.#deps.serial(async () => {
      if (this.#stopped) return false;
      try {
        const restored = (await firewall.heal?.(this.#deps.guarded())) ?? 0;
        this.heals++;
        log.error(
          { firewall: firewall.name, noticed: why, grantsRestored: restored },
          'the firewall guard was removed by something else (e.g. nft flush ruleset); rebuilt it with the live grants',
        );
        return true;
      } catch (err) {
        log.error({ err, noticed: why }, 'the firewall guard is gone and could not be rebuilt; retrying');
        return false;
      }
    });
  }
}
