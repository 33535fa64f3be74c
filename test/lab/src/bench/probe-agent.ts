/**
 * The open-latency prober: `ip netns exec <client ns> node probe-agent.js`, started once per
 * bench run. It sends an SPA datagram handed to it by the parent and then knocks on the guarded
 * TCP port until a connect is accepted (protocol: ./probe-protocol.ts). Every operation is
 * bounded; the process exits when stdin closes.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, isIPv6, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import {
  ATTEMPT_LIFETIME_MS,
  MAX_PROBER_TIMEOUT_MS,
  type OpenReply,
  type OpenRequest,
  type ProbeReply,
  type ProbeRequest,
  type ProberRequest,
  type RunReply,
  type RunRequest,
} from './probe-protocol.js';

const bound = (ms: number): number => Math.max(1, Math.min(ms, MAX_PROBER_TIMEOUT_MS));

function bindUdp(source: string): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = createSocket(isIPv6(source) ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(0, source, () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
  });
}

async function open(r: OpenRequest): Promise<OpenReply> {
  let udp: UdpSocket;
  try {
    udp = await bindUdp(r.source);
  } catch (err) {
    return { ok: false, error: 'bind', attempts: 0, message: String(err) };
  }
  const payload = Buffer.from(r.hex, 'hex');
  const interval = Math.max(1, r.intervalMs);
  const fast = Math.max(0.05, r.fastIntervalMs);
  return new Promise((resolve) => {
    const live = new Map<Socket, number>();
    let attempts = 0;
    let done = false;
    let t0 = 0;
    const finish = (reply: OpenReply) => {
      if (done) return;
      done = true;
      if (immediate) clearImmediate(immediate);
      clearInterval(ticker);
      clearTimeout(timer);
      for (const s of live.keys()) s.destroy();
      live.clear();
      udp.close();
      resolve(reply);
    };
    const attempt = () => {
      const now = performance.now();
      for (const [s, at] of live) {
        if (now - at > ATTEMPT_LIFETIME_MS) {
          s.destroy();
          live.delete(s);
        }
      }
      attempts++;
      const s = connect({ host: r.host, port: r.port, localAddress: r.source });
      live.set(s, now);
      s.on('error', () => {
        live.delete(s);
        s.destroy();
      });
      s.on('connect', () => finish({ ok: true, ms: performance.now() - t0, attempts }));
    };
    // Fast phase: spin on setImmediate (I/O is still polled every turn) for sub-millisecond
    // resolution while most opens happen; then a 1 ms timer so a slow open costs little CPU.
    let nextAt = 0;
    let immediate: NodeJS.Immediate | undefined;
    let ticker: NodeJS.Timeout | undefined;
    const spin = () => {
      if (done) return;
      const now = performance.now();
      if (now >= nextAt) {
        attempt();
        nextAt = now + fast;
      }
      if (now - t0 < r.fastWindowMs) immediate = setImmediate(spin);
      else ticker = setInterval(attempt, interval);
    };
    t0 = performance.now();
    udp.send(payload, r.knockPort, r.knockHost, (err) => {
      if (err) finish({ ok: false, error: 'send', attempts, message: String(err) });
    });
    spin();
    const timer = setTimeout(() => finish({ ok: false, error: 'timeout', attempts }), bound(r.timeoutMs));
  });
}

function probe(r: ProbeRequest): Promise<ProbeReply> {
  return new Promise((resolve) => {
    const s = connect({ host: r.host, port: r.port, localAddress: r.source });
    const settle = (reply: ProbeReply) => {
      clearTimeout(timer);
      s.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => settle({ open: false, error: 'timeout' }), bound(r.timeoutMs));
    s.on('connect', () => settle({ open: true }));
    s.on('error', (err: NodeJS.ErrnoException) => settle({ open: false, error: err.code ?? 'error' }));
  });
}

function run(r: RunRequest): Promise<RunReply> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(r.argv[0]!, r.argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 4000) stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), bound(r.timeoutMs));
    child.on('error', (err) => {
      stderr += String(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, code, signal, stderr });
    });
  });
}

function handle(req: ProberRequest): Promise<object> {
  switch (req.cmd) {
    case 'open':
      return open(req);
    case 'probe':
      return probe(req);
    case 'run':
      return run(req);
    default:
      return Promise.resolve({ ok: false, error: 'bad-request' });
  }
}

const reply = (id: unknown, body: object) => process.stdout.write(JSON.stringify({ id, ...body }) + '\n');

createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
  .on('line', (line) => {
    let req: ProberRequest;
    try {
      req = JSON.parse(line) as ProberRequest;
    } catch {
      reply(null, { ok: false, error: 'bad-request' });
      return;
    }
    handle(req).then(
      (body) => reply(req.id, body),
      (err: unknown) => reply(req.id, { ok: false, error: 'prober-error', message: String(err) }),
    );
  })
  .on('close', () => process.exit(0));

process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n');
