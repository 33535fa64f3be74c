/**
 * The lab agent: `ip netns exec NS node agent.js`. A long-lived helper inside a namespace that
 * connects, holds connections, sends datagrams and runs small services on request, so that a test
 * pays `ip netns exec` once per host instead of once per probe. Exits when stdin closes.
 * Protocol: ./agent-protocol.ts.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { connectTcp, sendUdp, waitFor } from './agent-net.js';
import {
  type AgentFailure,
  type AgentRequest,
  type Datagram,
  MAX_OP_TIMEOUT_MS,
  serviceBanner,
} from './agent-protocol.js';

interface Held {
  socket: Socket;
  received: string;
  cursor: number;
  closed: boolean;
  wake: Set<() => void>;
}
interface TcpService {
  server: Server;
  sockets: Set<Socket>;
}
interface UdpService {
  socket: UdpSocket;
  datagrams: Datagram[];
  wake: Set<() => void>;
}

const held = new Map<number, Held>();
const services = new Map<number, TcpService>();
const udpServices = new Map<number, UdpService>();
let nextHandle = 1;

const fail = (error: string, message?: string): AgentFailure =>
  message === undefined ? { ok: false, error } : { ok: false, error, message };
const bound = (ms: unknown): number =>
  typeof ms === 'number' && ms > 0 ? Math.min(ms, MAX_OP_TIMEOUT_MS) : MAX_OP_TIMEOUT_MS;

async function hold(host: string, port: number, timeoutMs: number): Promise<object> {
  const r = await connectTcp(host, port, timeoutMs, false);
  if (!r.ok) return r.result;
  const h: Held = { socket: r.socket, received: '', cursor: 0, closed: false, wake: new Set() };
  const wake = () => {
    for (const w of h.wake) w();
  };
  r.socket.setEncoding('utf8');
  r.socket.on('data', (d: string) => {
    h.received += d;
    wake();
  });
  r.socket.on('close', () => {
    h.closed = true;
    wake();
  });
  r.socket.on('error', () => {});
  const handle = nextHandle++;
  held.set(handle, h);
  return { ok: true, handle, ms: r.result.ms };
}

/** Writes `data` and waits until it comes back (the service echoes; its banner is skipped). */
async function echo(handle: number, data: string, timeoutMs: number): Promise<object> {
  const h = held.get(handle);
  if (!h) return fail('no-such-handle');
  if (h.closed) return fail('closed');
  const started = performance.now();
  h.socket.write(data);
  const found = () => h.received.indexOf(data, h.cursor);
  const outcome = await waitFor(h.wake, timeoutMs, () => found() >= 0 || h.closed);
  const at = found();
  if (at >= 0) {
    h.cursor = at + data.length;
    return { ok: true, ms: performance.now() - started };
  }
  return outcome === 'timeout' ? fail('timeout') : fail('closed');
}

function listenTcp(port: number, host: string | undefined, ipv6Only: boolean, timeoutMs: number) {
  return new Promise<object>((resolve) => {
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.write(serviceBanner(port) + '\n');
      s.on('data', (d) => s.write(d));
    });
    const timer = setTimeout(() => {
      server.close();
      resolve(fail('timeout'));
    }, timeoutMs);
    server.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(fail(err.code ?? 'error', err.message));
    });
    server.listen({ port, host: host ?? '::', ipv6Only }, () => {
      clearTimeout(timer);
      const handle = nextHandle++;
      services.set(handle, { server, sockets });
      const addr = server.address();
      resolve({ ok: true, handle, port: typeof addr === 'object' && addr ? addr.port : port });
    });
  });
}

function listenUdp(port: number, host: string, timeoutMs: number) {
  return new Promise<object>((resolve) => {
    const socket = isIPv6(host) ? createSocket({ type: 'udp6', ipv6Only: true }) : createSocket('udp4');
    const svc: UdpService = { socket, datagrams: [], wake: new Set() };
    socket.on('message', (msg, rinfo) => {
      svc.datagrams.push({ address: rinfo.address, port: rinfo.port, hex: msg.toString('hex') });
      for (const w of svc.wake) w();
    });
    const timer = setTimeout(() => {
      socket.close();
      resolve(fail('timeout'));
    }, timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(fail(err.code ?? 'error', err.message));
    });
    socket.bind(port, host, () => {
      clearTimeout(timer);
      const handle = nextHandle++;
      udpServices.set(handle, svc);
      resolve({ ok: true, handle, port: socket.address().port });
    });
  });
}

/** Waits until at least `count` datagrams arrived, then returns (and forgets) all of them. */
async function received(handle: number, count: number, timeoutMs: number): Promise<object> {
  const svc = udpServices.get(handle);
  if (!svc) return fail('no-such-handle');
  await waitFor(svc.wake, timeoutMs, () => svc.datagrams.length >= count);
  return { ok: true, datagrams: svc.datagrams.splice(0) };
}

function close(handle: number): object {
  const h = held.get(handle);
  const tcp = services.get(handle);
  const udp = udpServices.get(handle);
  if (h) h.socket.destroy();
  if (tcp) {
    tcp.server.close();
    for (const s of tcp.sockets) s.destroy();
  }
  if (udp) udp.socket.close();
  const known = held.delete(handle) || services.delete(handle) || udpServices.delete(handle);
  return known ? { ok: true } : fail('no-such-handle');
}

async function handle(req: AgentRequest): Promise<object> {
  switch (req.cmd) {
    case 'ping':
      return { ok: true };
    case 'connect': {
      const r = await connectTcp(req.host, req.port, bound(req.timeoutMs), req.banner === true);
      if (r.ok) r.socket.destroy(); // a probe: the connection is not kept (see `hold`)
      return r.result;
    }
    case 'hold':
      return hold(req.host, req.port, bound(req.timeoutMs));
    case 'echo':
      return echo(req.handle, String(req.data), bound(req.timeoutMs));
    case 'close':
      return close(req.handle);
    case 'udp':
      return sendUdp(req.host, req.port, Buffer.from(req.hex, 'hex'), req.sourcePort, bound(req.timeoutMs));
    case 'listenTcp':
      return listenTcp(req.port, req.host, req.ipv6Only === true, bound(req.timeoutMs));
    case 'listenUdp':
      return listenUdp(req.port, req.host, bound(req.timeoutMs));
    case 'received':
      return received(req.handle, req.count, bound(req.timeoutMs));
    default:
      return fail('bad-request', `unknown command ${JSON.stringify((req as { cmd?: unknown }).cmd)}`);
  }
}

function reply(id: unknown, body: object): void {
  process.stdout.write(JSON.stringify({ id, ...body }) + '\n');
}

createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
  .on('line', (line) => {
    let req: AgentRequest;
    try {
      req = JSON.parse(line) as AgentRequest;
    } catch {
      reply(null, fail('bad-request', 'not JSON'));
      return;
    }
    handle(req).then(
      (body) => reply(req.id, body),
      (err: unknown) => reply(req.id, fail('agent-error', String(err))),
    );
  })
  .on('close', () => process.exit(0));

process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n');
