/**
 * A token bucket per client for signature checks (docs/protocol.md §12): a stolen profile
 * makes fresh, authentic knocks at will, and each would cost a public-key verification; the
 * bucket bounds that to `ratePerSecond` (after a `burst`) per client, whatever the flood.
 * The clock is the caller's (`nowMs` per call), so tests need no timers.
 */
export interface BudgetSettings {
  /** Checks a client may spend at once. */
  readonly burst: number;
  /** Checks per second refilled. */
  readonly ratePerSecond: number;
}

/** 10 at once, then 5 a second: a person's knocks (a few per open) never come near it. */
export const DEFAULT_SIGNATURE_BUDGET: BudgetSettings = { burst: 10, ratePerSecond: 5 };

interface Bucket {
  tokens: number;
  atMs: number;
}

export class SignatureBudget {
  readonly #settings: BudgetSettings;
  readonly #buckets = new Map<string, Bucket>();

  constructor(settings: BudgetSettings = DEFAULT_SIGNATURE_BUDGET) {
    this.#settings = settings;
  }

  /** Take one check for `client` at `nowMs`: false = over budget (shed the work). */
  take(client: string, nowMs: number): boolean {
    const { burst, ratePerSecond } = this.#settings;
    let b = this.#buckets.get(client);
    if (!b) {
      b = { tokens: burst, atMs: nowMs };
      this.#buckets.set(client, b);
    }
    // A clock that steps back refills nothing (and takes nothing away).
    const elapsed = Math.max(0, nowMs - b.atMs);
    b.tokens = Math.min(burst, b.tokens + (elapsed * ratePerSecond) / 1000);
    b.atMs = Math.max(b.atMs, nowMs);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drop the buckets of clients no longer configured (reload). */
  retain(clients: ReadonlySet<string>): void {
    for (const name of this.#buckets.keys()) if (!clients.has(name)) this.#buckets.delete(name);
  }
}
