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
  readonly #stop = new AbortController();
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
    this.#deps.probe(this.#to, this.#timing.timeoutMs, this.#stop.signal).then(
      (ok) => {
        if (ok && this.#openedAt === undefined) {
          this.#openedAt = this.#clock();
          this.#markOpen();
        }
      },
      () => {},
    );
  }

  /** Probe until open or `deadline` (by `clock`). Attempts still in flight may succeed later. */
  async until(deadline: number): Promise<boolean> {
    let gap = FIRST_PROBE_GAP_MS;
    let attempts = 0;
    while (this.#openedAt === undefined && !this.#stop.signal.aborted) {
      const left = deadline - this.#clock();
      if (left <= 0) break;
      this.#attempt();
      let next = QUICK_PROBE_GAP_MS;
      if (++attempts > QUICK_PROBES) {
        next = gap;
        gap *= 2;
      }
      const wait = Math.min(next, this.#timing.intervalMs, left);
      await Promise.race([this.#opened, this.#deps.sleep(wait, this.#stop.signal)]);
    }
    return this.#openedAt !== undefined;
  }

  /** Abort attempts in flight and any sleep. */
  close(): void {
    this.#stop.abort();
  }
}
