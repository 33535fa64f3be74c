/**
 * Step 2: legit opens while the attacker host floods forged datagrams of the system's own
 * packet size. Per rate, three conditions:
 *   fwknop, fixed-port    at udp/62201, the port every fwknopd listens on;
 *   spa, stale-port       at a port spa watched some steps ago (attacker without the secret);
 *   spa, current-port     at the ports spa watches now, T-1, T, T+1, following them at every step
 *                         (attacker with the server secret: a former client; ./rolling-flood.ts).
 * The flood runs for the whole condition; samples stop at `floodSamples` or when the time
 * budget is spent (at least MIN_SAMPLES are taken).
 */
import type { FloodRun, FloodSpec, Rate } from './flood.js';
import { measureOpen, type OpenSample } from './latency.js';
import type { BenchOptions } from './options.js';
import type { FloodResult, Scenario } from './results.js';
import type { Rig } from './rig.js';
import { RollingFlood } from './rolling-flood.js';
import { counterDelta, Spa } from './spa.js';
import { fmtPct, summarize } from './stats.js';
import type { GuardedSystem } from './system.js';

const MIN_SAMPLES = 3;
const PAUSE_BETWEEN_MS = 1000;
/** No more than this many packets in one condition, whatever the rate. */
const MAX_PACKETS = 40_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Condition {
  system: GuardedSystem;
  scenario: Scenario;
  start(spec: Omit<FloodSpec, 'dst' | 'ports'>): { stop(): Promise<FloodRun> };
}

function conditions(rig: Rig): Condition[] {
  return [
    { system: rig.fwknop, scenario: 'fixed-port', start: (spec) => rig.flood({ ...spec, ports: [62201] }) },
    {
      system: rig.spa,
      scenario: 'stale-port',
      start: (spec) => rig.flood({ ...spec, ports: [rig.spa.stalePort(Date.now(), spec.durationMs)] }),
    },
    { system: rig.spa, scenario: 'current-port', start: (spec) => new RollingFlood(rig, spec) },
  ];
}

export function packetsFor(rate: Rate, ms: number): number {
  const perSecond = rate === 'max' ? 2_000_000 : rate;
  return Math.min(MAX_PACKETS, Math.ceil((perSecond * ms) / 1000) + 1000);
}

async function runCondition(rig: Rig, opts: BenchOptions, c: Condition, rate: Rate): Promise<FloodResult> {
  const spanMs = opts.floodWarmupMs + opts.floodBudgetMs + opts.openTimeoutMs * (MIN_SAMPLES + 1) + 1000;
  const before = c.system instanceof Spa ? await c.system.counterValues() : undefined;
  const flood = c.start({
    size: c.system.packetSize,
    base64: c.system.base64,
    rate,
    durationMs: spanMs,
    maxPackets: packetsFor(rate, spanMs),
  });
  const samples: OpenSample[] = [];
  let cutShort = false;
  let sent: FloodRun;
  try {
    await sleep(opts.floodWarmupMs);
    const deadline = performance.now() + opts.floodBudgetMs;
    while (samples.length < opts.floodSamples) {
      if (samples.length >= MIN_SAMPLES && performance.now() > deadline) {
        cutShort = true;
        break;
      }
      samples.push(await measureOpen(rig, c.system, opts.openTimeoutMs));
    }
  } finally {
    sent = await flood.stop();
  }
  const after = c.system instanceof Spa ? await c.system.counterValues() : undefined;
  const opened = samples.filter((s) => s.ok).map((s) => s.ms);
  return {
    daemon: counterDelta(before, after),
    system: c.system.name,
    scenario: c.scenario,
    rate,
    sentRate: sent.rate,
    sent: sent.sent,
    attempts: samples.length,
    opened: opened.length,
    openedWithin1s: opened.filter((ms) => ms <= 1000).length,
    summary: summarize(opened),
    cutShort,
  };
}

export async function floodPhase(
  rig: Rig,
  opts: BenchOptions,
  log: (s: string) => void,
): Promise<FloodResult[]> {
  const out: FloodResult[] = [];
  for (const rate of opts.floodRates) {
    for (const c of conditions(rig)) {
      const r = await runCondition(rig, opts, c, rate);
      out.push(r);
      log(
        `   ${rate} pps → ${c.system.name} ${c.scenario}: sent ${Math.round(r.sentRate)}/s, ` +
          `opened ${r.opened}/${r.attempts}, within 1 s ${fmtPct(r.openedWithin1s / r.attempts)}, ` +
          `median ${r.summary.p50.toFixed(1)} ms`,
      );
      await sleep(PAUSE_BETWEEN_MS);
    }
  }
  return out;
}
