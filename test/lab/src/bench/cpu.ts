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
import { RollingFlood } from './rolling-flood.js';
import { counterDelta, handledCount, Spa } from './spa.js';
import type { GuardedSystem } from './system.js';

const COMMON_RATE = 1000;
const DRAIN_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cpuRun(rig: Rig, sys: GuardedSystem, rate: number, ms: number): Promise<CpuResult> {
  const i0 = readCpu(sys.pid);
  const idleStart = performance.now();
  await sleep(ms);
  const idleCpu = cpuMsBetween(i0, readCpu(sys.pid));
  const idleWall = performance.now() - idleStart;

  const spa = sys instanceof Spa ? sys : undefined;
  const before = await spa?.counterValues();
  const c0 = readCpu(sys.pid);
  const start = performance.now();
  const spec = {
    size: sys.packetSize,
    base64: sys.base64,
    rate,
    durationMs: ms,
    maxPackets: Math.ceil((rate * ms) / 1000),
  };
  const run = spa
    ? await new RollingFlood(rig, spec).finished()
    : await rig.flood({ ...spec, ports: [62201] }).finished();
  await sleep(DRAIN_MS);
  const total = cpuMsBetween(c0, readCpu(sys.pid));
  const wall = performance.now() - start;
  const idleShare = (idleCpu * wall) / idleWall;
  const daemon = counterDelta(before, await spa?.counterValues());
  const cpuMs = Math.max(0, total - idleShare);
  return {
    system: sys.name,
    rate,
    packets: run.sent,
    cpuMs,
    idleCpuMs: idleShare,
    usPerPacket: run.sent > 0 ? (cpuMs * 1000) / run.sent : Number.NaN,
    handled: daemon ? handledCount(daemon) : undefined,
    daemon,
  };
}

export async function cpuPhase(rig: Rig, opts: BenchOptions, log: (s: string) => void): Promise<CpuResult[]> {
  const out: CpuResult[] = [];
  const runs: [GuardedSystem, number][] = [
    [rig.fwknop, COMMON_RATE],
    [rig.spa, COMMON_RATE],
    ...opts.cpuRates.map((rate): [GuardedSystem, number] => [rig.spa, rate]),
  ];
  for (const [sys, rate] of runs) {
    const r = await cpuRun(rig, sys, rate, opts.cpuMs);
    out.push(r);
    log(
      `   ${sys.name} at ${rate}/s: ${r.packets} packets, ${r.cpuMs.toFixed(0)} ms CPU ` +
        `(idle share ${r.idleCpuMs.toFixed(0)} ms) → ${r.usPerPacket.toFixed(2)} µs/packet` +
        (r.daemon ? `; daemon counters ${JSON.stringify(r.daemon)}` : ''),
    );
  }
  return out;
}
