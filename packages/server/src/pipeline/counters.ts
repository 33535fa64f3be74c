/**
 * Counters by reason: every rejected packet and every event of the daemon is counted here,
 * never logged one by one at more than debug level. Keys are stable codes (`@spa/shared`
 * REJECT_REASONS, POLICY_REASONS, daemon reasons, `capture:<reason>` for frames the capture
 * dropped). Increments are a Map update: no allocation on the hot path.
 */
export class Counters {
  readonly #counts = new Map<string, number>();
  #lastReport = new Map<string, number>();

  add(key: string, n = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + n);
  }

  get(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** Every counter, sorted by key. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of [...this.#counts.keys()].sort()) out[key] = this.#counts.get(key)!;
    return out;
  }

  /** What changed since the previous call (non-zero only), for the periodic report. */
  sinceLastReport(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of [...this.#counts.keys()].sort()) {
      const d = this.#counts.get(key)! - (this.#lastReport.get(key) ?? 0);
      if (d !== 0) out[key] = d;
    }
    this.#lastReport = new Map(this.#counts);
    return out;
  }
}
