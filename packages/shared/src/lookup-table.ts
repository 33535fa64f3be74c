/**
 * The server's table of lookup tags: (client, step) for every step in the time window.
 * A Map keyed by 48 bits of the tag, the other 16 compared on a hit. Pure: the caller says
 * which steps to hold (addStep/dropStepsBefore) and when.
 */
import { type LookupKey, lookupKeyOf, lookupTag } from './lookup.js';

export interface LookupHit<C> {
  readonly client: C;
  readonly step: number;
}

interface Row<C> extends LookupHit<C> {
  readonly low16: number;
}

function mapKey(k: LookupKey): number {
  return k.hi * 0x10000 + (k.lo >>> 16);
}

export class LookupTable<C> {
  readonly #rows = new Map<number, Row<C>[]>();
  readonly #byStep = new Map<number, number[]>();

  get size(): number {
    let n = 0;
    for (const r of this.#rows.values()) n += r.length;
    return n;
  }

  steps(): number[] {
    return [...this.#byStep.keys()].sort((a, b) => a - b);
  }

  /** Add the tags of `clients` for `step` (idempotent per step: replaces that step's rows). */
  addStep(step: number, clients: Iterable<{ client: C; lookupKey: Uint8Array }>): void {
    this.dropStep(step);
    const keys: number[] = [];
    for (const { client, lookupKey } of clients) {
      const k = lookupKeyOf(lookupTag(lookupKey, step));
      const key = mapKey(k);
      const row: Row<C> = { client, step, low16: k.lo & 0xffff };
      const list = this.#rows.get(key);
      if (list) list.push(row);
      else this.#rows.set(key, [row]);
      keys.push(key);
    }
    this.#byStep.set(step, keys);
  }

  dropStep(step: number): void {
    const keys = this.#byStep.get(step);
    if (!keys) return;
    for (const key of keys) {
      const list = this.#rows.get(key);
      if (!list) continue;
      const kept = list.filter((r) => r.step !== step);
      if (kept.length === 0) this.#rows.delete(key);
      else this.#rows.set(key, kept);
    }
    this.#byStep.delete(step);
  }

  /** Keep only the steps in [first, last]. */
  retain(first: number, last: number): void {
    for (const s of this.steps()) if (s < first || s > last) this.dropStep(s);
  }

  /** Usually zero or one hit; more only on a 64-bit tag collision. */
  find(k: LookupKey): readonly LookupHit<C>[] {
    const list = this.#rows.get(mapKey(k));
    if (!list) return NONE;
    const low = k.lo & 0xffff;
    if (list.length === 1) return list[0]!.low16 === low ? list : NONE;
    return list.filter((r) => r.low16 === low);
  }
}

const NONE: readonly never[] = Object.freeze([]);
