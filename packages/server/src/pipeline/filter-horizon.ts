/**
 * When the capture filter is re-armed (docs/protocol.md §7). Pure: steps in, filter out.
 *
 * The patched `cap` changes the filter of the open handle in place (setFilter: pcap_compile and
 * one SO_ATTACH_FILTER, no second handle; docs/capture.md), so by default (K = 1) the filter
 * follows every step and admits exactly the knock ports the pipeline accepts, those of T-1, T and T+1, plus the
 * sequence range and the fwknop port: a port that went stale leaves the kernel filter at the
 * step it goes stale, and a flood aimed at it never reaches user space.
 *
 * Armed at step A, the filter admits the knock ports of the steps A-1 .. A+K. With K > 1 (a
 * wider horizon, kept for tests and comparison) it is re-armed only when the current step T
 * would otherwise leave too little of it:
 *
 *   re-arm when  T - 1 < from  or  T + 1 > until - 1      (from = A-1, until = A+K)
 *
 * and with K = 1 at every step (T - 1 = from and T + 1 = until exactly). Between a step roll
 * and the new filter there is one turn of the event loop (the daemon applies it on setImmediate):
 * a knock for the new T+1 that arrives in that turn is dropped by the old filter, and its
 * client resends.
 *
 * A fixed knock port: one filter for the life of the daemon (its horizon never ends).
 */
import type { KnockPortMode } from '@spa/shared';
import { MAX_SPA_PORTS } from '../capture/index.js';
import type { ServerConfig } from '../config/types.js';
import { captureFilter, knockPortsOfSteps } from './steps.js';

/**
 * K = 1: the filter holds exactly T-1 .. T+1 and changes in place at every step. Before the
 * patched `cap` each change cost a second libpcap handle (~45 ms of blocked loop, ~1.4 kB never
 * freed), hence K = 2 and a re-arm per step with an overlap; see docs/capture.md.
 */
export const FILTER_HORIZON_STEPS = 1;
/** The filter holds steps T-1 .. T+K: at most MAX_SPA_PORTS ports. K = 1 re-arms every step. */
const MIN_HORIZON = 1;
const MAX_HORIZON = MAX_SPA_PORTS - 2;

export interface ArmedSteps {
  /** First step whose knock port the filter admits. */
  readonly from: number;
  /** Last step whose knock port the filter admits (A+K; Infinity for a fixed port). */
  readonly until: number;
}

export class FilterHorizon {
  #config: Pick<ServerConfig, 'knock' | 'sequence' | 'fwknop'>;
  readonly #portKey: Uint8Array;
  readonly #steps: number;
  #armed: ArmedSteps | undefined;
  #filter = '';

  constructor(
    config: Pick<ServerConfig, 'knock' | 'sequence' | 'fwknop'>,
    portKey: Uint8Array,
    steps: number = FILTER_HORIZON_STEPS,
  ) {
    if (!Number.isInteger(steps) || steps < MIN_HORIZON || steps > MAX_HORIZON)
      throw new RangeError(
        `filter horizon: ${steps} steps, expected an integer ${MIN_HORIZON}-${MAX_HORIZON}`,
      );
    this.#config = config;
    this.#portKey = portKey;
    this.#steps = steps;
  }

  /** The filter in force ('' before the first roll). */
  get filter(): string {
    return this.#filter;
  }

  /** The steps whose knock ports the filter admits (undefined before the first roll). */
  get armed(): ArmedSteps | undefined {
    return this.#armed;
  }

  /** Whether the filter armed now admits the ports of T-1, T, T+1 (with a step to spare if K > 1). */
  covers(step: number): boolean {
    const a = this.#armed;
    // K = 1 has no step to spare: it covers exactly the step it was armed for.
    const spare = this.#steps === 1 ? 0 : 1;
    return a !== undefined && step - 1 >= a.from && step + 1 <= a.until - spare;
  }

  /**
   * A reload changed which fwknop port is captured (fwknop clients added or all removed, or
   * `[fwknop] port`): the same steps, the new port. Returns true if the filter changed.
   */
  setFwknop(fwknop: ServerConfig['fwknop']): boolean {
    this.#config = { ...this.#config, fwknop };
    const armed = this.#armed;
    if (armed === undefined) return false;
    this.#armed = undefined;
    return this.roll(armed.from + 1);
  }

  /** Re-arm for `step` if the horizon is running out. Returns true if the filter changed. */
  roll(step: number): boolean {
    if (this.covers(step)) return false;
    const knock: KnockPortMode = this.#config.knock;
    const armed: ArmedSteps =
      knock.mode === 'fixed'
        ? { from: step - 1, until: Number.POSITIVE_INFINITY }
        : { from: step - 1, until: step + this.#steps };
    const ports =
      knock.mode === 'fixed'
        ? [knock.port]
        : knockPortsOfSteps(this.#portKey, armed.from, armed.until, knock);
    const filter = captureFilter(this.#config, ports);
    this.#armed = armed;
    const changed = filter !== this.#filter;
    this.#filter = filter;
    return changed;
  }
}
