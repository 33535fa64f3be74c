/**
 * Putting knocks on the wire: UDP datagrams (SPA packets, UDP knocks, decoys) from one
 * socket per address family, and TCP knocks, which are a bare SYN: connect, then drop the
 * socket before the kernel retransmits (closing in SYN-SENT sends nothing more).
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { ClientError } from './errors.js';
import type { Endpoint } from './resolve.js';

/** How long a TCP knock's socket lives: well after the SYN, well before the 1 s retransmit. */
export const TCP_KNOCK_HOLD_MS = 50;

function networkError(to: Endpoint, e: unknown): ClientError {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return new ClientError(
    'network',
    `cannot send to ${to.address} port ${to.port} (${code})`,
    'check the network path to the server (route, IPv6 connectivity, local firewall)',
  );
}

export class UdpSender {
  readonly #sockets = new Map<4 | 6, Socket>();

  #socket(family: 4 | 6): Socket {
    let s = this.#sockets.get(family);
    if (!s) {
      s = createSocket(family === 6 ? 'udp6' : 'udp4');
      s.on('error', () => {}); // send errors arrive through the callback
      s.unref();
      this.#sockets.set(family, s);
    }
    return s;
  }

  send(to: Endpoint, payload: Uint8Array): Promise<void> {
    const s = this.#socket(to.family);
    return new Promise((resolve, reject) => {
      s.send(payload, to.port, to.address, (err) => (err ? reject(networkError(to, err)) : resolve()));
    });
  }

  close(): void {
    for (const s of this.#sockets.values()) s.close();
    this.#sockets.clear();
  }
}

/** Send one SYN to `to`. Resolves once the connect is issued; the socket goes `holdMs` later. */
export function tcpKnock(to: Endpoint, holdMs = TCP_KNOCK_HOLD_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: to.address, port: to.port, family: to.family });
    const timer = setTimeout(() => socket.destroy(), holdMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    socket.once('connect', finish); // the port is open after all: nothing more to say
    socket.once('error', (e: NodeJS.ErrnoException) => {
      finish();
      // A refused or unreachable knock still went out (or cannot): only local errors matter.
      if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENETUNREACH') reject(networkError(to, e));
    });
    // connect() runs on the next tick; the SYN is out by the time immediates run.
    setImmediate(resolve);
  });
}
