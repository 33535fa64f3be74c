/**
 * What a kernel backend (nftables, ipset) knows of its own grants: one entry per (address,
 * protocol, port) with the deadline this process gave it, by an injected clock. Used for two
 * things: a grant never shortens a longer live one (the kernel would happily replace the
 * timeout), and a table rebuilt after another tool removed it gets its live grants back.
 */
import { type CheckedGrant, canonicalAddress } from './check.js';
import type { LiveGrant } from './firewall.js';

interface Entry {
  readonly grant: Omit<CheckedGrant, 'seconds'>;
  /** Clock milliseconds. */
  until: number;
}

/** Sweep expired entries when the map grows past this. */
const SWEEP_AT = 4096;

export class LiveTuples {
  readonly #now: () => number;
  /** How long after its deadline an entry still counts as maybe-live (see `maybeLive`). */
  readonly #graceMs: number;
  readonly #entries = new Map<string, Entry>();

  constructor(now: () => number, graceMs: number) {
    this.#now = now;
    this.#graceMs = graceMs;
  }

  /** Whole seconds left of the live entry of this tuple (0 if none). */
  secondsLeft(g: { address: string; protocol: string; port: number }): number {
    const e = this.#entries.get(key(g));
    const left = e ? e.until - this.#now() : 0;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /**
   * True if the kernel may still hold an element for this tuple: its deadline, plus a grace
   * (the kernel's timeout starts when the tool commits, a little after our clock read).
   */
  maybeLive(g: { address: string; protocol: string; port: number }): boolean {
    const e = this.#entries.get(key(g));
    return e !== undefined && e.until + this.#graceMs > this.#now();
  }

  /** Records a grant of `seconds` from now; never moves a later deadline earlier. */
  note(g: CheckedGrant): void {
    const now = this.#now();
    if (this.#entries.size >= SWEEP_AT) this.#sweep(now);
    const k = key(g);
    const until = Math.max(now + g.seconds * 1000, this.#entries.get(k)?.until ?? 0);
    const { seconds: _s, ...grant } = g;
    this.#entries.set(k, { grant, until });
  }

  delete(g: { address: string; protocol: string; port: number }): void {
    this.#entries.delete(key(g));
  }

  /** Replaces everything with a kernel listing (addresses canonical, as `list()` returns them). */
  load(grants: readonly LiveGrant[]): void {
    this.#entries.clear();
    for (const g of grants) {
      try {
        const a = canonicalAddress(g.address);
        this.note({ ...g, address: a.text, family: a.family, seconds: g.secondsLeft + 1 });
      } catch {
        // an element spa cannot have made: not ours to track
      }
    }
  }

  /** The entries whose deadline is ahead, each with its whole seconds left. */
  live(): CheckedGrant[] {
    const now = this.#now();
    const out: CheckedGrant[] = [];
    for (const e of this.#entries.values()) {
      if (e.until > now) out.push({ ...e.grant, seconds: Math.ceil((e.until - now) / 1000) });
    }
    return out;
  }

  #sweep(now: number): void {
    for (const [k, e] of this.#entries) if (e.until + this.#graceMs <= now) this.#entries.delete(k);
  }
}

function key(g: { address: string; protocol: string; port: number }): string {
  return `${g.address} ${g.protocol} ${g.port}`;
}
