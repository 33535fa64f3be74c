/**
 * In-memory grants with an injected clock, for the backends that cannot ask the kernel
 * (command, dry-run, fake). Same semantics as a timeout set: one entry per
 * (address, protocol, port), a refresh replaces the deadline, expired entries vanish.
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

  put(g: { address: string; protocol: L4; port: number; seconds: number }): void {
    const key = `${g.address} ${g.protocol} ${g.port}`;
    this.#entries.delete(key); // keep insertion order = order of the latest grant
    this.#entries.set(key, {
      address: g.address,
      protocol: g.protocol,
      port: g.port,
      until: this.#now() + g.seconds * 1000,
    });
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
