/**
 * Info lines for authenticated knocks that are refused (a revoked or expired key, a source or
 * service the policy does not allow, a stale clock): only a key holder can cause these, so an
 * admin wants to see them, by client name. Still with a budget (a leaked key could be used to
 * flood): at most `perSecond` lines in any one second, then one line with how many were left out.
 * Attacker-chosen data stays under its own key; the reason is one of the stable codes.
 */
import type { Logger } from 'pino';
import { LogBudget } from './log-budget.js';

export interface AuditFields {
  readonly client: string;
  readonly address: string;
  readonly reason: string;
  /** Extra facts, e.g. the measured clock skew. */
  readonly [key: string]: unknown;
}

export class AuditLog {
  readonly #log: Logger;
  readonly #budget: LogBudget;

  constructor(log: Logger, perSecond = 5) {
    this.#log = log;
    this.#budget = new LogBudget(perSecond);
  }

  refused(fields: AuditFields, nowMs: number): void {
    const allowed = this.#budget.take(nowMs, (suppressed) =>
      this.#log.info({ suppressed }, 'authenticated knocks refused, not logged'),
    );
    if (allowed) this.#log.info(fields, 'authenticated knock refused');
  }
}
