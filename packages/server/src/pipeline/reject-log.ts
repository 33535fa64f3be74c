/**
 * Debug lines for rejected packets, with a budget: at most `perSecond` lines in any one
 * second, then one line saying how many were left out. A flood is counted (counters.ts), and
 * at debug level it still cannot flood the log. Attacker-controlled data is nested under its
 * own key, never spread into the log object.
 */
import type { Logger } from 'pino';
import { LogBudget } from './log-budget.js';

export class RejectLog {
  readonly #log: Logger;
  readonly #budget: LogBudget;

  constructor(log: Logger, perSecond = 20) {
    this.#log = log;
    this.#budget = new LogBudget(perSecond);
  }

  /**
   * Log one rejection at debug level if the level is on and the budget allows. The packet's
   * source address is read (and so formatted, capture/frame-packet.ts) only for a logged line.
   */
  reject(
    reason: string,
    packet: { readonly srcAddress: string; readonly dstPort: number },
    nowMs: number,
  ): void {
    if (!this.#log.isLevelEnabled('debug')) return;
    const allowed = this.#budget.take(nowMs, (suppressed) =>
      this.#log.debug({ suppressed }, 'rejects not logged'),
    );
    if (!allowed) return;
    this.#log.debug(
      { reason, packet: { source: packet.srcAddress, port: packet.dstPort } },
      'knock rejected',
    );
  }
}
