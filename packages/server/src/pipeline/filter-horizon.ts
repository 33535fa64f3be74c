/**
 * When the capture filter is re-armed (docs/protocol.md §7). Pure: steps in, filter out.
 *
 * Re-arming costs a new libpcap handle per interface (`cap` has no setfilter; see
 * capture/pcap-source.ts): blocked event loop, a second ring for the overlap, memory never
 * freed. Armed at step A, the filter admits the knock ports of the steps A-1 .. A+K (the
 * horizon) plus the sequence range, and it is re-armed when the current step T would otherwise
 * leave too little of it:
 *
 *   re-arm when  T - 1 < from  or  T + 1 > until - 1      (from = A-1, until = A+K)
 *
 * So T-1, T, T+1 are inside the armed horizon at every step, and at the step of a switch the old
 * filter still holds T+1 too (one step of margin): both the old filter (until the switch lands)
 * and the new one admit every watched port, with no gap at any boundary. A switch happens every
 * K-1 steps: with K = 2, at every step.
 *
 * What reaches user space besides T-1, T, T+1, refused there as `port` before any crypto (the
 * pipeline accepts knocks on the watched ports only): the future ports T+2 .. A+K, which only
 * holders of the server secret can compute (they could aim at the current port anyway), and,
 * with K > 2, the ports that went stale since the switch, A-1 .. T-2 (an eavesdropper saw them
 * in flight), for up to K-1 steps. A `port` refusal costs less than the lookup a forged knock at
 * the current port costs, so neither adds a more expensive path.
 *
 * A fixed knock port: one filter for the life of the daemon (its horizon never ends).
 */
import type { KnockPortMode } from '@spa/shared';
import { MAX_SPA_PORTS } from '../capture/index.js';
import type { ServerConfig } from '../config/types.js';
import { captureFilter, knockPortsOfSteps } from './steps.js';

/**
 * K = 2: the filter holds T-1 .. T+2 and is re-armed at every step, so a port that went stale
 * leaves the kernel filter at once and a flood aimed at it never reaches user space (issue #3
 * asks for a filter narrowed to the ports in use right now). The price is a new libpcap handle
 * per step and interface, with memory that is never freed; a larger K (up to MAX_HORIZON)
 * re-arms less often but lets stale ports reach user space for up to K-1 steps. The numbers of
 * that trade are in docs/capture.md. A capture binding with pcap_setfilter would remove it.
 */
export const FILTER_HORIZON_STEPS = 2;
/** The filter holds steps T-1 .. T+K: at most MAX_SPA_PORTS ports. K = 2 re-arms every step. */
const MIN_HORIZON = 2;
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

  /** Whether the filter armed now admits the ports of T-1, T, T+1 with a step to spare. */
  covers(step: number): boolean {
    const a = this.#armed;
    return a !== undefined && step - 1 >= a.from && step + 1 <= a.until - 1;
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
