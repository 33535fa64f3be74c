/**
 * Info lines for authenticated knocks that are refused (a revoked or expired key, a source or
 * service the policy does not allow, a stale clock): only a key holder can cause these, so an
 * admin wants to see them, by client name. Still with a budget (a leaked key could be used to
 * flood): at most `perSecond` lines in any one second, then one line with how many were left out.
 * Attacker-chosen data stays under its own key; the reason is one of the stable codes.
 */
import type { Logger } from 'pino';

export interface AuditFields {
  readonly client: string;
  readonly address: string;
  readonly reason: string;
  /** Extra facts, e.g. the measured clock skew. */
  readonly [key: string]: unknown;
}

export class AuditLog {
  readonly #log: Logger;
  readonly #perSecond: number;
  #second = -1;
  #used = 0;
  #suppressed = 0;

  constructor(log: Logger, perSecond = 5) {
    this.#log = log;
    this.#perSecond = perSecond;
  }

  refused(fields: AuditFields, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      if (this.#suppressed > 0)
        this.#log.info({ suppressed: this.#suppressed }, 'authenticated knocks refused, not logged');
      this.#second = second;
      this.#used = 0;
      this.#suppressed = 0;
    }
    if (this.#used >= this.#perSecond) {
      this.#suppressed++;
      return;
    }
    this.#used++;
    this.#log.info(fields, 'authenticated knock refused');
  }
}
