/** Bounded network primitives used by the agent (inside a namespace). */
import { createSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import type { AgentFailure, ConnectResult, SendResult } from './agent-protocol.js';

const failure = (err: unknown): AgentFailure => {
  const e = err as NodeJS.ErrnoException;
  return { ok: false, error: e.code ?? 'error', message: e.message };
};

/** Resolves 'ok' when `done()` holds (checked on every wake-up), 'timeout' otherwise. */
export function waitFor(
  wake: Set<() => void>,
  timeoutMs: number,
  done: () => boolean,
): Promise<'ok' | 'timeout'> {
  if (done()) return Promise.resolve('ok');
  return new Promise((resolve) => {
    const finish = (r: 'ok' | 'timeout') => {
      clearTimeout(timer);
      wake.delete(check);
      resolve(r);
    };
    const check = () => {
      if (done()) finish('ok');
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    wake.add(check);
  });
}

export type Connected =
  | { ok: true; socket: Socket; result: ConnectResult & { ok: true } }
  | { ok: false; result: AgentFailure };

/**
 * Opens a TCP connection within `timeoutMs`. With `banner`, also waits (same deadline) for the first
 * line the peer sends and closes the connection; without it, the open socket is returned.
 */
export function connectTcp(
  host: string,
  port: number,
  timeoutMs: number,
  banner: boolean,
): Promise<Connected> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect({ host, port });
    let settled = false;
    let ms = 0;
    let text = '';
    const settle = (r: Connected) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!r.ok || banner) socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => settle({ ok: false, result: { ok: false, error: 'timeout' } }), timeoutMs);
    socket.on('error', (err) => settle({ ok: false, result: failure(err) }));
    socket.on('connect', () => {
      ms = performance.now() - started;
      if (!banner) settle({ ok: true, socket, result: { ok: true, ms } });
    });
    if (banner) {
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        text += d;
        const nl = text.indexOf('\n');
        if (nl >= 0) settle({ ok: true, socket, result: { ok: true, ms, banner: text.slice(0, nl) } });
      });
      socket.on('end', () =>
        settle({ ok: false, result: { ok: false, error: 'closed', message: 'no banner' } }),
      );
    }
  });
}

/** Sends one datagram, optionally from a fixed source port, and closes the socket. */
export function sendUdp(
  host: string,
  port: number,
  payload: Buffer,
  sourcePort: number | undefined,
  timeoutMs: number,
): Promise<SendResult> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    let settled = false;
    const settle = (r: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        // already closed after an error
      }
      resolve(r);
    };
    const timer = setTimeout(() => settle({ ok: false, error: 'timeout' }), timeoutMs);
    socket.on('error', (err) => settle(failure(err)));
    const send = () => socket.send(payload, port, host, (err) => settle(err ? failure(err) : { ok: true }));
    if (sourcePort === undefined) send();
    else socket.bind(sourcePort, send);
  });
}
