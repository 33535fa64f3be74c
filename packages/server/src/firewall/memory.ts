/**
 * In-memory grants with an injected clock, for the backends that cannot ask the kernel
 * (command, dry-run, fake). Same semantics as a timeout set: one entry per
 * (address, protocol, port), expired entries vanish. A grant only ever lengthens an entry:
 * a shorter one for a tuple that is still live keeps the later deadline (issue 12, item 7).
 */
import type { Clock, L4, LiveGrant } from './firewall.js';

interface Entry {
  address: string;
  protocol: L4;
  port: number;
  /** Clock milliseconds. */
  until: number;
}

export class GrantTable {
  readonly #now: Clock;
  readonly #entries = new Map<string, Entry>();

  constructor(now: Clock) {
    this.#now = now;
  }

  /**
   * Seconds this grant must be given so that it never cuts a live one short: `g.seconds`, or
   * the whole seconds left of a longer live grant of the same tuple.
   */
  seconds(g: { address: string; protocol: L4; port: number; seconds: number }): number {
    const e = this.#entries.get(`${g.address} ${g.protocol} ${g.port}`);
    const now = this.#now();
    if (!e || e.until <= now) return g.seconds;
    return Math.max(g.seconds, Math.ceil((e.until - now) / 1000));
  }

  /** Adds or lengthens the entry; returns the seconds it now has left (see seconds()). */
  put(g: { address: string; protocol: L4; port: number; seconds: number }): number {
    const key = `${g.address} ${g.protocol} ${g.port}`;
    const now = this.#now();
    const old = this.#entries.get(key);
    const until = Math.max(now + g.seconds * 1000, old && old.until > now ? old.until : 0);
    this.#entries.delete(key); // keep insertion order = order of the latest grant
    this.#entries.set(key, { address: g.address, protocol: g.protocol, port: g.port, until });
    return Math.ceil((until - now) / 1000);
  }

  list(): LiveGrant[] {
    this.#prune();
    const now = this.#now();
    return [...this.#entries.values()].map((e) => ({
      address: e.address,
      protocol: e.protocol,
      port: e.port,
      secondsLeft: Math.ceil((e.until - now) / 1000),
    }));
  }

  remove(g: { address: string; protocol: L4; port: number }): void {
    this.#entries.delete(`${g.address} ${g.protocol} ${g.port}`);
  }

  /** Removes and returns the live grants of one (canonical) address. */
  take(address: string): LiveGrant[] {
    const live = this.list().filter((g) => g.address === address);
    for (const g of live) this.#entries.delete(`${g.address} ${g.protocol} ${g.port}`);
    return live;
  }

  clear(): void {
    this.#entries.clear();
  }

  #prune(): void {
    const now = this.#now();
    for (const [key, e] of this.#entries) if (e.until <= now) this.#entries.delete(key);
  }
}
