/**
 * A bounded UDP flood, run inside a lab namespace:
 *
 *   node udp-flood.js HOST PORT[,PORT...] COUNT RATE_PER_S MAX_MS [SIZE]
 *
 * Sends COUNT datagrams of SIZE random bytes (default 336, the SPA packet size) round-robin to
 * the ports, paced at RATE_PER_S, and stops at COUNT or after MAX_MS, whichever comes first.
 * Prints `{"started":true}` once the socket is ready and `{"sent":N,"errors":N,"ms":N}` at the
 * end. Only what a lab host can reach is reachable: the lab has no route out.
 */
import { randomFillSync } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** Entry point when run as a script; the path for `lab.spawn`. */
export const UDP_FLOOD_SCRIPT = new URL('./udp-flood.js', import.meta.url).pathname;

const TICK_MS = 10;
const POOL = 512;

function flood(host: string, ports: number[], count: number, rate: number, maxMs: number, size: number) {
  const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  const pool = Array.from({ length: POOL }, () => randomFillSync(Buffer.alloc(size)));
  const started = performance.now();
  let sent = 0;
  let errors = 0;
  let inFlight = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(timer);
    const end = () => {
      process.stdout.write(
        `${JSON.stringify({ sent, errors, ms: Math.round(performance.now() - started) })}\n`,
      );
      socket.close();
    };
    if (inFlight === 0) end();
    else {
      const wait = setInterval(() => {
        if (inFlight === 0 || performance.now() - started > maxMs + 2000) {
          clearInterval(wait);
          end();
        }
      }, 5);
    }
  };
  const tick = () => {
    const elapsed = performance.now() - started;
    if (sent >= count || elapsed >= maxMs) return finish();
    const due = Math.min(count, Math.ceil((elapsed / 1000) * rate) + 1);
    // Never queue without bound in the socket: at most one tick's worth in flight.
    const budget = Math.max(1, Math.ceil((rate * TICK_MS) / 1000)) * 2 - inFlight;
    for (let i = 0; sent < due && i < budget; i++) {
      const buf = pool[sent % POOL]!;
      const port = ports[sent % ports.length]!;
      if (sent % POOL === POOL - 1) for (const b of pool) randomFillSync(b);
      sent++;
      inFlight++;
      socket.send(buf, port, host, (err) => {
        inFlight--;
        if (err) errors++;
      });
    }
  };
  const timer = setInterval(tick, TICK_MS);
  process.stdout.write(`${JSON.stringify({ started: true })}\n`);
  tick();
}

if (process.argv[1] === UDP_FLOOD_SCRIPT) {
  const [host, portList, count, rate, maxMs, size] = process.argv.slice(2);
  const ports = (portList ?? '').split(',').map(Number);
  if (!host || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    process.stderr.write('usage: udp-flood HOST PORT[,PORT...] COUNT RATE_PER_S MAX_MS [SIZE]\n');
    process.exit(64);
  }
  flood(host, ports, Number(count), Number(rate), Number(maxMs), Number(size ?? 336));
}
