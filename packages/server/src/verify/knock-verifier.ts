/**
 * The server's side of `verifyKnock`: the lookup table of every client's tags for the steps
 * in the time window, the prepared MAC states and the server's id, built once per
 * configuration and rolled every step. The hot path (`verify`) allocates nothing of its own.
 */
import {
  type KnockVerdict,
  type LookupKey,
  LookupMask,
  LookupTable,
  lookupSteps,
  type PreparedClient,
  prepareClient,
  stepStartMs,
  type TimeWindow,
  type VerifyContext,
  verifyKnock,
} from '@spa/shared';
import type { ClientDef } from '../config/types.js';

/** A client as the lookup table holds it: its definition and its prepared MAC state. */
export interface KnockClient {
  readonly def: ClientDef;
  readonly prepared: PreparedClient;
}

export interface VerifierSetup {
  readonly headerKey: Uint8Array;
  readonly serverId: Uint8Array;
  readonly stepSeconds: number;
  readonly window: TimeWindow;
  readonly clients: Iterable<ClientDef>;
}

/** VerifyContext with the one field that changes per packet left writable. */
interface MutableContext extends Omit<VerifyContext<KnockClient>, 'nowMs'> {
  nowMs: number;
}

const preparedOf = (c: KnockClient): PreparedClient => c.prepared;

export class KnockVerifier {
  readonly #clients: { client: KnockClient; lookupKey: Uint8Array }[];
  readonly #table = new LookupTable<KnockClient>();
  readonly #ctx: MutableContext;
  #step = -1;

  constructor(setup: VerifierSetup) {
    // A revoked key stays in the table: its knocks cost one MAC, are refused as policy-revoked
    // after it (before the replay store), and the audit log can name the client.
    this.#clients = [...setup.clients].map((def) => ({
      client: { def, prepared: prepareClient(def.keys) },
      lookupKey: def.keys.lookup,
    }));
    this.#ctx = {
      mask: new LookupMask(setup.headerKey),
      table: this.#table,
      prepared: preparedOf,
      serverId: setup.serverId,
      stepSeconds: setup.stepSeconds,
      window: setup.window,
      nowMs: 0,
    };
  }

  /** The step the table was last rolled to (-1 before the first roll). */
  get step(): number {
    return this.#step;
  }

  /** Steps the table holds now. */
  steps(): number[] {
    return this.#table.steps();
  }

  /**
   * Hold the tags of every step a knock may carry while the clock is anywhere in `step`
   * (the window around the step's first and last millisecond); `lookupSteps` adds one step
   * on each side so a knock just outside the window gets `stale`/`future`, not `client`
   * (docs/protocol.md §6). Only new steps cost HMACs.
   */
  roll(step: number): void {
    if (step === this.#step) return;
    const { stepSeconds, window } = this.#ctx;
    const start = stepStartMs(step, stepSeconds);
    const first = lookupSteps(start, stepSeconds, window).first;
    const last = lookupSteps(stepStartMs(step + 1, stepSeconds) - 1, stepSeconds, window).last;
    this.#table.retain(first, last);
    const held = new Set(this.#table.steps());
    for (let s = first; s <= last; s++) if (!held.has(s)) this.#table.addStep(s, this.#clients);
    this.#step = step;
  }

  /** Length → lookup → knock tag → decrypt → version → server id → step binding → time window. */
  verify(packet: Uint8Array, nowMs: number): KnockVerdict<KnockClient> {
    this.#ctx.nowMs = nowMs;
    return verifyKnock(packet, this.#ctx);
  }

  /** For tests and benchmarks: the lookup key of a packet. */
  unmask(packet: Uint8Array): LookupKey {
    return this.#ctx.mask.unmask(packet);
  }
}
