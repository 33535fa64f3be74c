/**
 * Source addresses for open-latency samples. Each sample knocks and probes from its own address
 * (extra addresses on the client host, 192.0.2.16 and up), so the grant of one sample never
 * lets the next one in early; an address is used again only after its grants have expired.
 * The prober also checks that the port is still closed for it before each sample.
 */
import type { Lab, LabHost } from '../lab/index.js';

const FIRST_HOST_OCTET = 16;
const LAST_HOST_OCTET = 254;
const PREFIX = '192.0.2.';

export class SourcePool {
  private readonly lastUse = new Map<string, number>();
  private readonly order: string[];
  private cursor = 0;

  private constructor(addresses: string[]) {
    this.order = addresses;
    for (const a of addresses) this.lastUse.set(a, Number.NEGATIVE_INFINITY);
  }

  /** Adds `count` addresses to `host`'s interface (inside its namespace) and returns the pool. */
  static async create(lab: Lab, host: LabHost, count: number): Promise<SourcePool> {
    const n = Math.max(1, Math.min(count, LAST_HOST_OCTET - FIRST_HOST_OCTET + 1));
    const addresses = Array.from({ length: n }, (_, i) => PREFIX + (FIRST_HOST_OCTET + i));
    const lines = addresses.map((a) => `addr add ${a}/24 dev ${host.ifname}`);
    await lab.exec(host, ['ip', '-batch', '-'], { input: lines.join('\n') + '\n', check: true });
    return new SourcePool(addresses);
  }

  get size(): number {
    return this.order.length;
  }

  /** The next address not used within `coolDownMs`, waiting (at most `coolDownMs`) if need be. */
  async take(coolDownMs: number): Promise<string> {
    const addr = this.order[this.cursor % this.order.length]!;
    this.cursor++;
    const wait = (this.lastUse.get(addr) ?? 0) + coolDownMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, Math.min(wait, coolDownMs)));
    this.lastUse.set(addr, performance.now());
    return addr;
  }
}
