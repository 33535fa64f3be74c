/**
 * Waiting for a port to open: short connection attempts, each given up after `timeoutMs`,
 * started 2 ms apart for the first 20 ms, then 5, 10, 20, 40 ms apart and then every
 * `intervalMs`, so attempts overlap and the first one made after the grant wins (a guarded
 * port drops SYNs; the kernel's own retry would come only after a second). A server grants
 * in a few ms: the quick phase both opens fast and measures "opened in" to ±2 ms.
 */
import type { Endpoint } from './resolve.js';

export interface ProbeDeps {
  probe(to: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The quick phase: this many attempts, this far apart. */
export const QUICK_PROBES = 10;
export const QUICK_PROBE_GAP_MS = 2;
/** Then the gap starts here and doubles, up to `intervalMs`. */
export const FIRST_PROBE_GAP_MS = 5;

export interface ProbeTiming {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export class PortWatcher {
  /**
   * One controller per attempt in flight (and one for the sleep), not one signal shared by all:
   * attempts overlap (up to timeoutMs / gap of them), and more than 10 listeners on one
   * AbortSignal made Node print MaxListenersExceededWarning on a port that stays closed.
   */
  readonly #attempts = new Set<AbortController>();
  #sleep: AbortController | undefined;
  #closed = false;
  readonly #opened: Promise<void>;
  #markOpen!: () => void;
  #openedAt: number | undefined;
  readonly #to: Endpoint;
  readonly #deps: ProbeDeps;
  readonly #clock: () => number;
  readonly #timing: ProbeTiming;

  constructor(to: Endpoint, deps: ProbeDeps, clock: () => number, timing: ProbeTiming) {
    this.#to = to;
    this.#deps = deps;
    this.#clock = clock;
    this.#timing = timing;
    this.#opened = new Promise((resolve) => {
      this.#markOpen = resolve;
    });
  }

  /** When the first attempt connected (by `clock`), or undefined. */
  get openedAt(): number | undefined {
    return this.#openedAt;
  }

  #attempt(): void {
    const stop = new AbortController();
    this.#attempts.add(stop);
    this.#deps
      .probe(this.#to, this.#timing.timeoutMs, stop.signal)
      .then(
        (ok) => {
          if (ok && this.#openedAt === undefined) {
            this.#openedAt = this.#clock();
            this.#markOpen();
          }
        },
        () => {},
      )
      .finally(() => this.#attempts.delete(stop));
  }

  /** Probe until open or `deadline` (by `clock`). Attempts still in flight may succeed later. */
  async until(deadline: number): Promise<boolean> {
    let gap = FIRST_PROBE_GAP_MS;
    let attempts = 0;
    while (this.#openedAt === undefined && !this.#closed) {
      const left = deadline - this.#clock();
      if (left <= 0) break;
      this.#attempt();
      let next = QUICK_PROBE_GAP_MS;
      if (++attempts > QUICK_PROBES) {
        next = gap;
        gap *= 2;
      }
      const wait = Math.min(next, this.#timing.intervalMs, left);
      this.#sleep = new AbortController();
      await Promise.race([this.#opened, this.#deps.sleep(wait, this.#sleep.signal)]);
      this.#sleep.abort(); // the sleep's timer, if the port opened first
    }
    return this.#openedAt !== undefined;
  }

  /** Abort attempts in flight and any sleep. */
  close(): void {
    this.#closed = true;
    for (const a of this.#attempts) a.abort();
    this.#attempts.clear();
    this.#sleep?.abort();
  }
}
