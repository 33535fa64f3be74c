/**
 * A flood that follows spa's rotating knock port: aimed at exactly the ports spa watches now
 * (steps T-1, T, T+1) and restarted at every step boundary with the new set, as an attacker who
 * holds the server secret (a former client) would do. Bounded like any flood: the total duration
 * and packet count are split over the segments.
 */
import { msLeftInStep } from '@spa/shared';
import type { Flood, FloodRun, FloodSpec } from './flood.js';
import type { Rig } from './rig.js';

/** Restart this long after the boundary, so the daemon has rolled its filter first. */
const AFTER_BOUNDARY_MS = 20;

export type RollingSpec = Omit<FloodSpec, 'dst' | 'ports'>;

export class RollingFlood {
  private readonly rig: Rig;
  private readonly spec: RollingSpec;
  private readonly started = performance.now();
  private readonly runs: FloodRun[] = [];
  private current: Flood | undefined;
  private stopped = false;
  private readonly done: Promise<void>;
  private resolveDone: () => void = () => {};

  constructor(rig: Rig, spec: RollingSpec) {
    this.rig = rig;
    this.spec = spec;
    this.done = new Promise((r) => {
      this.resolveDone = r;
    });
    this.segment();
  }

  private segment(): void {
    const elapsed = performance.now() - this.started;
    const left = this.spec.durationMs - elapsed;
    const sentSoFar = this.runs.reduce((a, r) => a + r.sent, 0);
    if (this.stopped || left <= 0 || sentSoFar >= this.spec.maxPackets) {
      this.resolveDone();
      return;
    }
    const now = Date.now();
    const stepSeconds = this.rig.spa.setup.profile.stepSeconds;
    const untilRoll = msLeftInStep(now, stepSeconds) + AFTER_BOUNDARY_MS;
    const segmentMs = Math.min(left, untilRoll);
    const flood = this.rig.flood({
      ...this.spec,
      ports: [-1, 0, 1].map((k) => this.rig.spa.portAt(now, k)),
      durationMs: segmentMs,
      maxPackets: this.spec.maxPackets - sentSoFar,
    });
    this.current = flood;
    void flood.finished().then(
      (run) => {
        this.runs.push(run);
        this.current = undefined;
        this.segment();
      },
      () => this.resolveDone(),
    );
  }

  /** Waits for the flood to end by itself (duration or count). */
  async finished(): Promise<FloodRun> {
    await this.done;
    return this.total();
  }

  /** Stops now and returns what was sent. */
  async stop(): Promise<FloodRun> {
    this.stopped = true;
    const c = this.current;
    if (c) await c.stop().catch(() => undefined);
    await this.done;
    return this.total();
  }

  private total(): FloodRun {
    const sent = this.runs.reduce((a, r) => a + r.sent, 0);
    const errors = this.runs.reduce((a, r) => a + r.errors, 0);
    const elapsedMs = performance.now() - this.started;
    return { sent, errors, elapsedMs, rate: elapsedMs > 0 ? (sent * 1000) / elapsedMs : 0 };
  }
}
