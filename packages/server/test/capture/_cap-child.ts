// Child process for cap-binding.test.ts, run as root inside the test's network namespace B
// (veth spa-cb, 192.0.2.2; its peer spa-ca, 192.0.2.1, is in namespace A):
//   ip netns exec B node --expose-gc _cap-child.js SCENARIO [ARGS]
// Runs one scenario against the patched `cap` and prints one JSON line with what it saw.
// Every loop is bounded in count and time.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { inNamespace } from '@spa/netns';
import { buildFilter } from '../../src/capture/bpf.js';
import { loadCap } from '../../src/capture/cap-binding.js';
import { PcapSource } from '../../src/capture/pcap-source.js';
import { ETHERTYPE, ethernet, ipv4, PROTO, udp } from './_frames.js';

const SELF = fileURLToPath(import.meta.url);
const gc = (globalThis as { gc?: () => void }).gc;
/** Always in every filter of the setFilter run, and never in any. */
const MATCHING = 45001;
const NON_MATCHING = 45002;
const SEND_MAX_FRAMES = 200_000;
const SEND_MAX_MS = 20_000;

function frame(port: number, seq: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(seq, 0);
  payload.writeUInt32BE(port, 4);
  const f = ethernet(
    ETHERTYPE.IPV4,
    ipv4(udp(40000, port, payload), { protocol: PROTO.UDP, src: '192.0.2.1', dst: '192.0.2.2' }),
  );
  f.fill(0xff, 0, 6); // broadcast: seen by a non-promiscuous capture
  return Buffer.from(f);
}

/**
 * Sender (role `send`, run in namespace A: it injects on spa-ca with pcap_sendpacket, so the
 * frames cross the veth to spa-cb): matching and non-matching frames alternately, 20 per loop
 * turn, until SIGTERM or the bounds. Prints {"sent": N} (frames per port).
 */
async function send(): Promise<void> {
  const Cap = loadCap();
  const cap = new Cap();
  cap.open('spa-ca', 'ether proto 0x88b5', 1 << 20, Buffer.alloc(256), { snaplen: 128 });
  let stop = false;
  process.on('SIGTERM', () => {
    stop = true;
  });
  const end = Date.now() + SEND_MAX_MS;
  let seq = 0;
  while (!stop && seq < SEND_MAX_FRAMES / 2 && Date.now() < end) {
    for (let i = 0; i < 10; i++, seq++) {
      cap.send(frame(MATCHING, seq));
      cap.send(frame(NON_MATCHING, seq));
    }
    await sleep(1);
  }
  process.stdout.write(`${JSON.stringify({ sent: seq })}\n`);
  cap.close();
}

const scenarios: Record<string, () => Promise<Record<string, unknown>>> = {
  /** 1,000 consecutive setFilter calls while a sender streams. */
  async 'setfilter-stream'() {
    const seen = new Map<number, number>();
    let nonMatching = 0;
    const source = new PcapSource({
      interfaces: ['spa-cb'],
      filter: buildFilter({ spaPorts: [MATCHING, 42000] }),
      testSeams: { snaplen: 128, bufferBytes: 32 << 20 },
    });
    source.start((p) => {
      if (p.dstPort === NON_MATCHING) nonMatching++;
      if (p.dstPort !== MATCHING) return;
      const seq = Buffer.from(p.payload).readUInt32BE(0);
      seen.set(seq, (seen.get(seq) ?? 0) + 1);
    });
    const senderNs = process.env.CAP_SENDER_NS ?? '';
    const [ip, ...args] = inNamespace(senderNs, [process.execPath, SELF, 'send']);
    const sender = spawn(ip, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let report = '';
    sender.stdout.on('data', (d: Buffer) => {
      report += d.toString();
    });
    const exited = new Promise((resolve) => sender.on('exit', resolve));
    for (let i = 0; i < 500 && seen.size === 0; i++) await sleep(10);
    const beforeCalls = seen.size;
    const started = performance.now();
    for (let i = 1; i <= 1000; i++) {
      source.setFilter(buildFilter({ spaPorts: [MATCHING, 42000 + (i % 100)] }));
      await nextTurn();
      if (i % 50 === 0) await sleep(1);
    }
    const callsMs = performance.now() - started;
    const duringCalls = seen.size - beforeCalls;
    sender.kill('SIGTERM');
    await exited;
    const sent = (JSON.parse(report.trim() || '{"sent":-1}') as { sent: number }).sent;
    for (let i = 0; i < 500 && seen.size < sent; i++) await sleep(10);
    await sleep(100); // anything delivered twice or late would show now
    source.stop();
    let missing = 0;
    for (let s = 0; s < sent; s++) if (!seen.has(s)) missing++;
    const twice = [...seen.values()].filter((n) => n > 1).length;
    return { sent, received: seen.size, missing, twice, nonMatching, duringCalls, callsMs };
  },

  /**
   * 10,000 open/close cycles (one in 10 a failed open, then close) with GC, in one process.
   * `retain` keeps every closed Cap reachable, as spa had to with upstream cap (`retainedCaps`):
   * the leak the measure must see. The C heap in use (mallinfo2, from the test's
   * _malloc-meter.c addon at CAP_MALLOC_METER) is what a native leak grows; open descriptors
   * and mappings catch a handle or ring left open; RSS is reported (it moves by a megabyte
   * either way with no cap at all).
   */
  async 'gc-cycles'() {
    const Cap = loadCap();
    const cycles = Number(process.argv[3] ?? 10_000);
    const retain = process.argv[4] === 'retain';
    const meterPath = process.env.CAP_MALLOC_METER;
    const meter = meterPath ? (createRequire(import.meta.url)(meterPath) as { inUse(): number }) : undefined;
    const kept: unknown[] = [];
    let collected = 0;
    const registry = new FinalizationRegistry(() => {
      collected++;
    });
    const cycle = (i: number) => {
      const cap = new Cap();
      registry.register(cap, i);
      const filter = i % 10 === 9 ? 'udp and and' : 'udp dst port 9';
      try {
        cap.open('spa-cb', filter, 1 << 16, Buffer.alloc(128), { snaplen: 128 });
      } catch {}
      cap.close(); // after a failed open: a no-op that returns false
      if (retain) kept.push(cap);
    };
    const warmup = 500;
    for (let i = 0; i < warmup; i++) {
      cycle(i);
      await nextTurn();
    }
    kept.length = 0;
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        gc?.();
        await sleep(10);
      }
      const m = process.memoryUsage();
      return {
        malloc: meter?.inUse() ?? Number.NaN,
        rss: m.rss,
        native: m.rss - m.heapTotal,
        fds: readdirSync('/proc/self/fd').length,
        maps: readFileSync('/proc/self/maps', 'utf8').split('\n').length,
      };
    };
    // RSS in five windows: a leak grows every window alike, while malloc's arenas and the heap
    // grow in steps that land in one or two, so the RSS trend is the median window times five.
    const windows = 5;
    const start = await settle();
    const growthKiB: number[] = [];
    const started = performance.now();
    let last = start;
    for (let w = 0; w < windows; w++) {
      for (let i = 0; i < cycles / windows; i++) {
        cycle(i);
        await nextTurn(); // uv_close callbacks run
        if (i % 100 === 99) gc?.();
      }
      const now = await settle();
      growthKiB.push(Math.round((now.native - last.native) / 1024));
      last = now;
    }
    const median = [...growthKiB].sort((x, y) => x - y)[Math.floor(windows / 2)]!;
    return {
      cycles,
      retained: kept.length,
      collected,
      mallocGrowthKiB: Math.round((last.malloc - start.malloc) / 1024),
      fdGrowth: last.fds - start.fds,
      mapsGrowth: last.maps - start.maps,
      rssGrowthKiB: Math.round((last.rss - start.rss) / 1024),
      nativeGrowthKiB: Math.round((last.native - start.native) / 1024),
      windowGrowthKiB: growthKiB,
      leakEstimateKiB: median * windows,
      ms: Math.round(performance.now() - started),
    };
  },

  /**
   * The capture side of the flood: a 10 ms interval's lateness while frames pour in. With
   * `control`, the same timer in a process that captures nothing (what the machine's scheduler
   * alone costs on shared cores).
   */
  async 'flood-timer'() {
    const port = Number(process.argv[3]);
    const floodMs = Number(process.argv[4]);
    const control = process.argv[5] === 'control';
    let frames = 0;
    // The longest the capture held the loop: first to last frame handled in one turn (the turn
    // ends when setImmediate runs, before the next timers phase), in wall time and in CPU time
    // of the process (which preemption by other processes does not inflate).
    let turnStart = -1;
    let turnLast = 0;
    let turnCpu = process.cpuUsage();
    let maxTurnMs = 0;
    let maxTurnCpuMs = 0;
    const endTurn = () => {
      maxTurnMs = Math.max(maxTurnMs, turnLast - turnStart);
      const cpu = process.cpuUsage(turnCpu);
      maxTurnCpuMs = Math.max(maxTurnCpuMs, (cpu.user + cpu.system) / 1000);
      turnStart = -1;
    };
    const source = new PcapSource({ interfaces: ['spa-cb'], filter: buildFilter({ spaPorts: [port] }) });
    if (!control)
      source.start(() => {
        frames++;
        turnLast = performance.now();
        if (turnStart < 0) {
          turnStart = turnLast;
          turnCpu = process.cpuUsage();
          setImmediate(endTurn);
        }
      });
    let last = performance.now();
    const late: number[] = [];
    const timer = setInterval(() => {
      const now = performance.now();
      late.push(now - last - 10);
      last = now;
    }, 10);
    process.stdout.write('ready\n');
    await sleep(floodMs + 500);
    clearInterval(timer);
    source.stop();
    late.sort((a, b) => a - b);
    const at = (q: number) =>
      Math.round((late[Math.min(late.length - 1, Math.floor(q * late.length))] ?? 0) * 10) / 10;
    return {
      frames,
      ticks: late.length,
      maxTurnMs: Math.round(maxTurnMs * 10) / 10,
      maxTurnCpuMs: Math.round(maxTurnCpuMs * 10) / 10,
      worstLateMs: at(1),
      p99LateMs: at(0.99),
      p50LateMs: at(0.5),
    };
  },
};

const name = process.argv[2];
if (name === 'send') {
  await send();
  process.exit(0);
}
const scenario = name === undefined ? undefined : scenarios[name];
if (scenario === undefined) {
  process.stderr.write(`unknown scenario ${String(name)}\n`);
  process.exit(2);
}
const result = await scenario();
process.stdout.write(`${JSON.stringify({ scenario: name, ...result })}\n`);
process.exit(0);
