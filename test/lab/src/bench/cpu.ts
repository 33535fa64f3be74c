/**
 * Step 3: the daemon's CPU time per forged packet aimed at the port it watches, from
 * /proc/PID (./proc-stats.ts): CPU during a flood of known count, minus the daemon's idle CPU
 * over the same wall time, divided by the packets sent. Both systems at 1,000 packets/s (a rate
 * fwknopd keeps up with), spa also at `cpuRates` (flood rates, where it reads packets in batches).
 */
import type { BenchOptions } from './options.js';
import { cpuMsBetween, readCpu } from './proc-stats.js';
import type { CpuResult } from './results.js';
import type { Rig } from './rig.js';
import { Spa } from './spa.js';
import type { GuardedSystem } from './system.js';

const COMMON_RATE = 1000;
const DRAIN_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cpuRun(
  rig: Rig,
  sys: GuardedSystem,
  ports: number[],
  rate: number,
  ms: number,
): Promise<CpuResult> {
  const i0 = readCpu(sys.pid);
  const idleStart = performance.now();
  await sleep(ms);
  const idleCpu = cpuMsBetween(i0, readCpu(sys.pid));
  const idleWall = performance.now() - idleStart;

  const before = sys instanceof Spa ? await sys.handledPackets() : undefined;
  const c0 = readCpu(sys.pid);
  const start = performance.now();
  const flood = rig.flood({
    ports,
    size: sys.packetSize,
    base64: sys.base64,
    rate,
    durationMs: ms,
    maxPackets: Math.ceil((rate * ms) / 1000),
  });
  const run = await flood.finished();
  await sleep(DRAIN_MS);
  const total = cpuMsBetween(c0, readCpu(sys.pid));
  const wall = performance.now() - start;
  const idleShare = (idleCpu * wall) / idleWall;
  const after = sys instanceof Spa ? await sys.handledPackets() : undefined;
  const cpuMs = Math.max(0, total - idleShare);
  return {
    system: sys.name,
    rate,
    packets: run.sent,
    cpuMs,
    idleCpuMs: idleShare,
    usPerPacket: run.sent > 0 ? (cpuMs * 1000) / run.sent : Number.NaN,
    handled: before !== undefined && after !== undefined ? after - before : undefined,
  };
}

export async function cpuPhase(rig: Rig, opts: BenchOptions, log: (s: string) => void): Promise<CpuResult[]> {
  const out: CpuResult[] = [];
  const spaPorts = () => rig.spa.watchedDuring(Date.now(), opts.cpuMs + 2000);
  const runs: [GuardedSystem, () => number[], number][] = [
    [rig.fwknop, () => [62201], COMMON_RATE],
    [rig.spa, spaPorts, COMMON_RATE],
    ...opts.cpuRates.map((rate): [GuardedSystem, () => number[], number] => [rig.spa, spaPorts, rate]),
  ];
  for (const [sys, ports, rate] of runs) {
    const r = await cpuRun(rig, sys, ports(), rate, opts.cpuMs);
    out.push(r);
    log(
      `   ${sys.name} at ${rate}/s: ${r.packets} packets, ${r.cpuMs.toFixed(0)} ms CPU ` +
        `(idle share ${r.idleCpuMs.toFixed(0)} ms) → ${r.usPerPacket.toFixed(2)} µs/packet` +
        (r.handled !== undefined ? `; the daemon handled ${r.handled}` : ''),
    );
  }
  return out;
}
