/**
 * Debug lines for rejected packets, with a budget: at most `perSecond` lines in any one
 * second, then one line saying how many were left out. A flood is counted (counters.ts), and
 * at debug level it still cannot flood the log. Attacker-controlled data is nested under its
 * own key, never spread into the log object.
 */
import type { Logger } from 'pino';

export class RejectLog {
  readonly #log: Logger;
  readonly #perSecond: number;
  #second = -1;
  #used = 0;
  #suppressed = 0;

  constructor(log: Logger, perSecond = 20) {
    this.#log = log;
    this.#perSecond = perSecond;
  }

  /** Log one rejection at debug level if the level is on and the budget allows. */
  reject(reason: string, source: string, port: number, nowMs: number): void {
    if (!this.#log.isLevelEnabled('debug')) return;
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      if (this.#suppressed > 0) this.#log.debug({ suppressed: this.#suppressed }, 'rejects not logged');
      this.#second = second;
      this.#used = 0;
      this.#suppressed = 0;
    }
    if (this.#used >= this.#perSecond) {
      this.#suppressed++;
      return;
    }
    this.#used++;
    this.#log.debug({ reason, packet: { source, port } }, 'knock rejected');
  }
}
