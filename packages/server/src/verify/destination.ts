/**
 * Is a packet addressed to this host? libpcap hands over every frame the interface sees: with
 * promiscuous capture, frames a switch floods or a hub repeats for other hosts; even without
 * it, a frame sent to our MAC address with another host's IP address (an attacker on the
 * link, a poisoned neighbour cache). A knock addressed to another server (which may share our
 * keys: fwknop packets carry no server id) must not open anything here, so such packets are
 * refused as `not-for-us` before any crypto.
 *
 * The host's addresses come from the OS (`read`, os.networkInterfaces() in the daemon) and are
 * re-read when older than `maxAgeMs`, and at once on a miss if the last read is older than
 * `minGapMs` (an address just added works within that gap; a flood of foreign packets costs at
 * most one read per gap). Time is passed in.
 */
import { canonicalIp } from '@spa/shared';

/** Re-read at least this often. */
export const HOST_ADDRESSES_MAX_AGE_MS = 10_000;
/** On a miss, re-read if the last read is older than this. */
export const HOST_ADDRESSES_MIN_GAP_MS = 1000;

export class HostAddresses {
  readonly #read: () => readonly string[];
  #addresses = new Set<string>();
  #readAtMs = Number.NEGATIVE_INFINITY;

  constructor(read: () => readonly string[]) {
    this.#read = read;
  }

  /** The addresses as last read, canonical text (for logs and tests). */
  get addresses(): readonly string[] {
    return [...this.#addresses];
  }

  /** True if `address` (canonical text, as the frame parser writes it) is one of this host's. */
  isOurs(address: string, nowMs: number): boolean {
    // |Δt| so that a wall-clock step back does not freeze the set for the size of the step.
    const age = Math.abs(nowMs - this.#readAtMs);
    if (age > HOST_ADDRESSES_MAX_AGE_MS) this.#refresh(nowMs);
    else if (!this.#addresses.has(address) && age > HOST_ADDRESSES_MIN_GAP_MS) this.#refresh(nowMs);
    return this.#addresses.has(address);
  }

  #refresh(nowMs: number): void {
    this.#readAtMs = nowMs;
    let texts: readonly string[];
    try {
      texts = this.#read();
    } catch {
      return; // keep the last known set; the next gap tries again
    }
    const next = new Set<string>();
    for (const t of texts) {
      const c = canonicalIp(t.replace(/%.*$/, '')); // drop an IPv6 zone (fe80::1%eth0)
      if (c) next.add(c);
    }
    this.#addresses = next;
  }
}
