/**
 * Per event-loop-turn budget for packet handling. cap's native side reads the ring until it is
 * empty without returning to the event loop, so under a flood timers and I/O starve (see the
 * measurements in pcap-source.ts). The budget admits packets until a turn has handled
 * `maxPackets` of them or spent `maxMs`; the rest of that turn's burst is shed, cheaply, until
 * the scheduled callback (setImmediate: the check phase, after the poll phase) starts a new turn.
 */

export interface TurnBudgetOptions {
  /** Packets admitted per turn. */
  maxPackets: number;
  /** Milliseconds of handling per turn (checked every CLOCK_EVERY packets). */
  maxMs: number;
  /** Monotonic clock in ms. Default performance.now. */
  clock?: () => number;
  /** Runs `fn` at the start of the next turn. Default: an unref'd setImmediate. */
  nextTurn?: (fn: () => void) => void;
}

/** The elapsed time is read every this many packets, not on every one. */
export const CLOCK_EVERY = 16;

export class TurnBudget {
  private readonly maxPackets: number;
  private readonly maxMs: number;
  private readonly clock: () => number;
  private readonly nextTurn: (fn: () => void) => void;
  private packets = 0;
  private startedAt = 0;
  private exhausted = false;
  private readonly reset = (): void => {
    this.packets = 0;
    this.exhausted = false;
  };

  constructor(options: TurnBudgetOptions) {
    this.maxPackets = options.maxPackets;
    this.maxMs = options.maxMs;
    this.clock = options.clock ?? (() => performance.now());
    this.nextTurn = options.nextTurn ?? ((fn) => setImmediate(fn).unref());
  }

  /** True if this packet may be handled; false means shed it. */
  admit(): boolean {
    if (this.exhausted) return false;
    if (this.packets === 0) {
      this.startedAt = this.clock();
      this.nextTurn(this.reset);
    }
    this.packets++;
    if (
      this.packets >= this.maxPackets ||
      (this.packets % CLOCK_EVERY === 0 && this.clock() - this.startedAt > this.maxMs)
    ) {
      this.exhausted = true; // this packet is still admitted, the following ones are not
    }
    return true;
  }
}
