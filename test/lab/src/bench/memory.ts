/**
 * Step 4: resident memory (VmRSS) idle, sampled every second through a long flood, and at its
 * end. The flood comes from spoofed random sources (198.18.0.0/16) so per-source state would
 * grow if it were unbounded: for spa, half forged datagrams at the watched knock ports and half
 * TCP SYNs across the one-time sequence range; for fwknopd, forged datagrams at udp/62201. A
 * legit open every LEGIT_GAP_MS meanwhile adds to the replay store and shows the door still works.
 */

import type { FloodRun } from './flood.js';
import { packetsFor } from './flood-opens.js';
import { measureOpen } from './latency.js';
import type { BenchOptions } from './options.js';
import { readRssMb, sampleRss } from './proc-stats.js';
import type { MemoryResult } from './results.js';
import type { Rig } from './rig.js';
import { RollingFlood } from './rolling-flood.js';
import { counterDelta, Spa } from './spa.js';
import { envelopeSlope } from './stats.js';
import type { GuardedSystem, SystemName } from './system.js';

const SPOOF_NET = '198.18.0.0';
const LEGIT_GAP_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startFloods(rig: Rig, sys: GuardedSystem, opts: BenchOptions): { finished(): Promise<FloodRun> }[] {
  const ms = opts.memoryFloodMs;
  if (sys.name === 'fwknop') {
    const rate = opts.memoryRate;
    return [
      rig.flood({
        ports: [62201],
        size: sys.packetSize,
        base64: true,
        rate,
        durationMs: ms,
        maxPackets: packetsFor(rate, ms),
        spoofNet: SPOOF_NET,
      }),
    ];
  }
  const half = Math.max(1, Math.round(opts.memoryRate / 2));
  const floods: { finished(): Promise<FloodRun> }[] = [
    new RollingFlood(rig, {
      size: sys.packetSize,
      rate: half,
      durationMs: ms,
      maxPackets: packetsFor(half, ms),
      spoofNet: SPOOF_NET,
    }),
  ];
  const seq = rig.spa.setup.profile.sequence;
  if (seq) {
    floods.push(
      rig.flood({
        ports: [],
        portRange: seq.range,
        size: 1,
        rate: half,
        durationMs: ms,
        maxPackets: packetsFor(half, ms),
        spoofNet: SPOOF_NET,
        syn: true,
      }),
    );
  }
  return floods;
}

async function memoryRun(
  rig: Rig,
  sys: GuardedSystem,
  opts: BenchOptions,
  idleMb: number,
): Promise<MemoryResult> {
  const spa = sys instanceof Spa ? sys : undefined;
  const before = await spa?.counterValues();
  const sampler = sampleRss(sys.pid, 1000);
  const started = performance.now();
  const floods = startFloods(rig, sys, opts);
  let legitAttempts = 0;
  let legitOpened = 0;
  // The last legit open may end up to openTimeoutMs after the flood; the flood's own end is fixed.
  while (legitAttempts === 0 || performance.now() - started < opts.memoryFloodMs - LEGIT_GAP_MS) {
    const s = await measureOpen(rig, sys, opts.openTimeoutMs);
    legitAttempts++;
    if (s.ok) legitOpened++;
    await sleep(LEGIT_GAP_MS);
  }
  const runs = await Promise.all(floods.map((f) => f.finished()));
  const endMb = readRssMb(sys.pid);
  const points = sampler.stop();
  const secs = (performance.now() - started) / 1000;
  const half = points.filter(([t]) => t >= secs / 2);
  const windowS = Math.max(1, Math.round(secs / 12));
  const sent = runs.reduce((a, r) => a + r.sent, 0);
  const daemon = counterDelta(before, await spa?.counterValues());
  return {
    daemon,
    system: sys.name,
    idleMb,
    endMb,
    maxMb: Math.max(...points.map(([, mb]) => mb)),
    slopeMbPerMin: envelopeSlope(half, windowS) * 60,
    floodSeconds: secs,
    sent,
    sentRate: runs.reduce((a, r) => a + r.rate, 0),
    legitAttempts,
    legitOpened,
    points,
  };
}

export async function memoryPhase(
  rig: Rig,
  opts: BenchOptions,
  log: (s: string) => void,
  idleMb: Record<SystemName, number>,
): Promise<MemoryResult[]> {
  const out: MemoryResult[] = [];
  for (const sys of [rig.spa, rig.fwknop]) {
    const r = await memoryRun(rig, sys, opts, idleMb[sys.name]);
    out.push(r);
    log(
      `   ${sys.name}: idle ${r.idleMb.toFixed(1)} MB, end ${r.endMb.toFixed(1)} MB, max ${r.maxMb.toFixed(1)} MB, ` +
        `${r.slopeMbPerMin.toFixed(2)} MB/min over the second half; ${r.sent} packets at ${Math.round(r.sentRate)}/s; ` +
        `legit ${r.legitOpened}/${r.legitAttempts}`,
    );
  }
  return out;
}
