/**
 * Is the service open yet? Short TCP connection attempts: a guarded port drops SYNs, so an
 * attempt either connects soon after the grant or is given up after `timeoutMs`.
 */
import { connect, type Socket } from 'node:net';
import type { Endpoint } from './resolve.js';

/** One attempt; the connected socket, or undefined on error, timeout or abort. */
export function connectTcp(
  to: Endpoint,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(undefined);
    const socket = connect({ host: to.address, port: to.port, family: to.family, noDelay: true });
    const done = (s: Socket | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      if (!s) socket.destroy();
      resolve(s);
    };
    const onAbort = () => done(undefined);
    const onError = () => done(undefined);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', onError);
    socket.once('connect', () => done(socket));
  });
}

/**
 * One attempt, closed again at once: true if the port accepted the connection. Closed with
 * RST, not FIN: a FIN before the SSH identification makes sshd log
 * "error: kex_exchange_identification: Connection closed by remote host" for every probe;
 * an immediate RST leaves no line (test/port-probe.test.ts, against a real sshd).
 */
export async function probeTcp(to: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  const socket = await connectTcp(to, timeoutMs, signal);
  if (!socket) return false;
  socket.on('error', () => {});
  socket.resetAndDestroy();
  return true;
}
