/**
 * An eavesdropper's copy of real knocks: UDP sockets on the server host bound to the knock
 * ports the daemon watches now, so every knock that reaches the server is also recorded
 * byte for byte (the daemon captures with libpcap, so it sees the same datagrams). That
 * models an on-path observer without a capture tool: the bridge would not show the client's
 * unicast frames to the attacker's port.
 */
import type { Agent } from '../lab/index.js';
import type { SpaLab } from './fixture.js';
import type { KnockMaker } from './knocks.js';
import { until } from './probes.js';

export interface TappedKnock {
  /** The knock port it was sent to. */
  port: number;
  /** Source address as the server saw it. */
  address: string;
  payload: Uint8Array;
}

export class KnockTap {
  readonly ports: readonly number[];
  readonly #agent: Agent;
  readonly #handles: ReadonlyMap<number, number>;
  readonly #seen: TappedKnock[] = [];

  private constructor(agent: Agent, handles: Map<number, number>) {
    this.#agent = agent;
    this.#handles = handles;
    this.ports = [...handles.keys()];
  }

  /** Listens (v4 and v6) on the ports watched now. Call right before the knock is sent. */
  static async start(spa: SpaLab, maker: KnockMaker): Promise<KnockTap> {
    const agent = await spa.lab.agent('server');
    const handles = new Map<number, number>();
    for (const port of maker.watchedPorts()) {
      for (const host of ['0.0.0.0', '::']) {
        const r = await agent.listenUdp(port, host);
        if (!r.ok) throw new Error(`tap on ${host} port ${port}: ${r.error} ${r.message ?? ''}`);
        handles.set(r.handle, port);
      }
    }
    return new KnockTap(agent, handles);
  }

  /** Waits until at least `count` knocks from `address` were recorded; returns all of them. */
  async knocksFrom(address: string, count = 1, timeoutMs = 3000): Promise<TappedKnock[]> {
    const mine = () => this.#seen.filter((k) => k.address === address);
    return until(`${count} tapped knock(s) from ${address}`, timeoutMs, async () => {
      await this.#drain();
      return mine().length >= count ? mine() : undefined;
    });
  }

  async stop(): Promise<void> {
    for (const h of this.#handles.keys()) await this.#agent.close(h);
  }

  async #drain(): Promise<void> {
    for (const [handle, port] of this.#handles) {
      const r = await this.#agent.received(handle, 0, 100);
      if (!r.ok) throw new Error(`tap port ${port}: ${r.error}`);
      for (const d of r.datagrams) {
        // A v4 source on the dual-stack socket may appear as ::ffff:a.b.c.d.
        const address = d.address.replace(/^::ffff:/, '');
        this.#seen.push({ port, address, payload: Uint8Array.from(Buffer.from(d.hex, 'hex')) });
      }
    }
  }
}
