/**
 * What stands between the fwknop port and the fwknop HMAC loop (issue 12, docs/fwknop.md
 * "Cost under attack"). The port is fixed and public, and a packet that has the shape of an
 * fwknop packet costs one HMAC over the whole packet per candidate client before it can be
 * refused. So, cheapest first:
 *
 *   length   more than FWKNOP_CLIENT_MAX_WIRE_LENGTH bytes: no stock client builds it → `fwknop-length`
 *   shape    not the shape of any client's packets (base64, block-aligned) → `fwknop-shape`
 *   budget   a token bucket per source address (packets) and one for the whole port (HMACs,
 *            charged at one per candidate client): over either → `fwknop-shed`, before any HMAC
 *
 * Forged work is what gets shed: a native knock never waits behind more than the global
 * budget of fwknop HMACs per second. The price is that under a flood at the fwknop port,
 * fwknop clients themselves may be shed (a native client is not). Time is passed in.
 */
import { FWKNOP_CLIENT_MAX_WIRE_LENGTH } from '@spa/shared';
import { TokenBucket } from './token-bucket.js';

/** What the gate refuses (pipeline/reasons.ts lists them with the others). */
export type FwknopGateReject = 'fwknop-length' | 'fwknop-shape' | 'fwknop-shed';

export interface FwknopBudget {
  /** HMACs per second the whole port may cost, and the burst. */
  readonly hmacsPerSecond: number;
  readonly hmacBurst: number;
  /** Packets per second one source address may send to the port, and the burst. */
  readonly perSourcePerSecond: number;
  readonly perSourceBurst: number;
  /** Source addresses remembered at once (the oldest is forgotten first). */
  readonly maxSources: number;
}

/**
 * About 2,000 HMACs/s: with 20 clients, 100 forged packets/s, some 30 ms of CPU per second at
 * ~14 µs per HMAC over a 1.2 kB packet (docs/fwknop.md). A stock client sends one packet per
 * access, so 2/s with a burst of 5 per source leaves room for retries.
 */
export const DEFAULT_FWKNOP_BUDGET: FwknopBudget = {
  hmacsPerSecond: 2000,
  hmacBurst: 400,
  perSourcePerSecond: 2,
  perSourceBurst: 5,
  maxSources: 4096,
};

/** No budget at all (the fuzzer, whose clock barely moves). */
export const UNLIMITED_FWKNOP_BUDGET: FwknopBudget = {
  hmacsPerSecond: Number.POSITIVE_INFINITY,
  hmacBurst: Number.POSITIVE_INFINITY,
  perSourcePerSecond: Number.POSITIVE_INFINITY,
  perSourceBurst: Number.POSITIVE_INFINITY,
  maxSources: 1,
};

export interface FwknopShape {
  /** Non-revoked clients: the most HMACs one packet can cost. */
  readonly size: number;
  /** True if `data` has the shape of some client's packets. */
  hasShape(data: Uint8Array): boolean;
}

export class FwknopGate {
  readonly #budget: FwknopBudget;
  readonly #global: TokenBucket;
  readonly #sources = new Map<string, TokenBucket>();

  constructor(nowMs: number, budget: FwknopBudget = DEFAULT_FWKNOP_BUDGET) {
    this.#budget = budget;
    this.#global = new TokenBucket(budget.hmacsPerSecond, budget.hmacBurst, nowMs);
  }

  /** Sources with a bucket now. */
  get sources(): number {
    return this.#sources.size;
  }

  /** A reason to refuse `data` from `source` before any HMAC, or undefined to verify it. */
  admit(data: Uint8Array, source: string, shape: FwknopShape, nowMs: number): FwknopGateReject | undefined {
    if (data.length > FWKNOP_CLIENT_MAX_WIRE_LENGTH) return 'fwknop-length';
    if (!shape.hasShape(data)) return 'fwknop-shape';
    if (!this.#sourceBucket(source, nowMs).take(1, nowMs)) return 'fwknop-shed';
    if (!this.#global.take(Math.max(1, shape.size), nowMs)) return 'fwknop-shed';
    return undefined;
  }

  #sourceBucket(source: string, nowMs: number): TokenBucket {
    let b = this.#sources.get(source);
    if (b) return b;
    if (this.#sources.size >= this.#budget.maxSources) {
      // O(1) under a flood of spoofed sources: the oldest goes (the global budget still holds).
      const oldest = this.#sources.keys().next();
      if (!oldest.done) this.#sources.delete(oldest.value);
    }
    b = new TokenBucket(this.#budget.perSourcePerSecond, this.#budget.perSourceBurst, nowMs);
    this.#sources.set(source, b);
    return b;
  }
}
