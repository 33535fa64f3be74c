/**
 * A budget of log lines per wall-clock second, shared by the reject log and the audit log: at
 * most `perSecond` lines in any one second; the lines left out are counted and handed back once
 * the next second starts, so the caller can log how many there were.
 */
export class LogBudget {
  readonly #perSecond: number;
  #second = -1;
  #used = 0;
  #suppressed = 0;

  constructor(perSecond: number) {
    this.#perSecond = perSecond;
  }

  /**
   * Whether a line may be written at `nowMs`. `onSuppressed` is called first, with the count,
   * when a new second starts after lines were left out.
   */
  take(nowMs: number, onSuppressed: (count: number) => void): boolean {
    const second = Math.floor(nowMs / 1000);
    if (second !== this.#second) {
      if (this.#suppressed > 0) onSuppressed(this.#suppressed);
      this.#second = second;
      this.#used = 0;
      this.#suppressed = 0;
    }
    if (this.#used >= this.#perSecond) {
      this.#suppressed++;
      return false;
    }
    this.#used++;
    return true;
  }
}
