/**
 * One open-latency sample, the same code for every system: take a fresh source address, check
 * the guarded port is closed for it, have the system make a datagram that lets it in, and let
 * the prober time datagram sent → TCP connect accepted (./probe-protocol.ts).
 */
import type { LabHost } from '../lab/index.js';
import type { Prober } from './probe.js';
import type { LatencyResult } from './results.js';
import type { SourcePool } from './sources.js';
import { type Summary, summarize } from './stats.js';
import type { GuardedSystem } from './system.js';

/** A closed port drops the SYN; no answer within this long counts as closed. */
const CLOSED_CHECK_MS = 25;
const PROBE_INTERVAL_MS = 1;
/** Spin-probe this often for the first FAST_WINDOW_MS (resolution where spa's opens happen). */
const FAST_INTERVAL_MS = 0.25;
const FAST_WINDOW_MS = 25;
const MAX_TRIES = 20;

export interface OpenSample {
  ok: boolean;
  /** Milliseconds from datagram sent to connect accepted; NaN when not opened in time. */
  ms: number;
  error?: string;
}

export interface LatencyRig {
  prober: Prober;
  pool: SourcePool;
  server: LabHost;
  /** Reuse a source address only after this long (longest grant plus margin). */
  coolDownMs: number;
}

export async function measureOpen(
  rig: LatencyRig,
  sys: GuardedSystem,
  timeoutMs: number,
): Promise<OpenSample> {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const source = await rig.pool.take(rig.coolDownMs);
    if (await rig.prober.isOpen(source, rig.server.ipv4, sys.guardedPort, CLOSED_CHECK_MS)) continue;
    const knock = await sys.knock(source);
    const r = await rig.prober.open({
      source,
      knockHost: rig.server.ipv4,
      knockPort: knock.port,
      hex: Buffer.from(knock.bytes).toString('hex'),
      host: rig.server.ipv4,
      port: sys.guardedPort,
      intervalMs: PROBE_INTERVAL_MS,
      fastIntervalMs: FAST_INTERVAL_MS,
      fastWindowMs: FAST_WINDOW_MS,
      timeoutMs,
    });
    if (r.ok) return { ok: true, ms: r.ms };
    return r.message
      ? { ok: false, ms: Number.NaN, error: `${r.error}: ${r.message}` }
      : { ok: false, ms: Number.NaN, error: r.error };
  }
  throw new Error(`${sys.name}: port ${sys.guardedPort} stayed open for ${MAX_TRIES} source addresses`);
}

/** Port of an unguarded TCP service on the server: the floor measurement connects to it. */
export const OPEN_PORT = 8080;
/** A UDP port nothing listens on, for the floor measurement's datagram. */
const DISCARD_PORT = 9;

/**
 * The method's own floor: the same datagram-then-connect sequence against a port that is open
 * all along, so `ms` is the prober's send plus one connect round trip.
 */
export async function floorPhase(rig: LatencyRig, n: number): Promise<Summary> {
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const source = await rig.pool.take(0);
    const r = await rig.prober.open({
      source,
      knockHost: rig.server.ipv4,
      knockPort: DISCARD_PORT,
      hex: '00'.repeat(336),
      host: rig.server.ipv4,
      port: OPEN_PORT,
      intervalMs: PROBE_INTERVAL_MS,
      fastIntervalMs: FAST_INTERVAL_MS,
      fastWindowMs: FAST_WINDOW_MS,
      timeoutMs: 1000,
    });
    if (r.ok) values.push(r.ms);
  }
  return summarize(values);
}

/** Step 1: `n` samples per system without a flood, interleaved so both see the same machine. */
export async function latencyPhase(
  rig: LatencyRig,
  systems: readonly GuardedSystem[],
  n: number,
  timeoutMs: number,
): Promise<LatencyResult[]> {
  const samples = systems.map(() => [] as OpenSample[]);
  for (let i = 0; i < n; i++) {
    for (const [k, sys] of systems.entries()) samples[k]!.push(await measureOpen(rig, sys, timeoutMs));
  }
  return systems.map((sys, k) => {
    const values = samples[k]!.filter((s) => s.ok).map((s) => s.ms);
    return {
      system: sys.name,
      label: sys.label,
      attempts: samples[k]!.length,
      summary: summarize(values),
      values,
      failures: samples[k]!.length - values.length,
    };
  });
}
