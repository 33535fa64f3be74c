// Shared by the daemon, sequence and fuzz tests: temporary state directories, a logger whose
// lines land in memory, and a pipeline on fakes (recording firewall, fixed clock).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { type Logger, pino } from 'pino';
import type { Grant } from '../../src/firewall/firewall.js';
import { KnockPipeline } from '../../src/pipeline/pipeline.js';
import { ReplayStore, type ReplayStoreOptions } from '../../src/replay/replay-store.js';
import type { FwknopBudget } from '../../src/verify/fwknop-gate.js';
import { FakeFirewall } from '../support/fake-firewall.js';
import { Fixture, type FixtureOptions } from '../support/fixture.js';

/** A time in the middle of a 30 s step (15 s after its start). */
export const NOW = 1_700_000_025_000;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'spa-daemon-'));
  dirs.push(d);
  return d;
}

export interface MemoryLog {
  readonly logger: Logger;
  readonly lines: string[];
  records(): Array<Record<string, unknown>>;
  text(): string;
}

/** A plain pino logger (no redaction: tests prove the code itself logs no secret). */
export function memoryLog(level = 'debug'): MemoryLog {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(s) });
  return {
    logger,
    lines,
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}

export interface Rig {
  readonly fixture: Fixture;
  readonly pipeline: KnockPipeline;
  readonly firewall: FakeFirewall;
  readonly store: ReplayStore;
  readonly log: MemoryLog;
  readonly filters: string[];
}

/** The addresses the fixture's packets are sent to (Fixture.udp, sequencePacket): "this host". */
export const FIXTURE_HOST: readonly string[] = ['192.0.2.1', '2001:db8::1'];

export interface RigOptions {
  readonly fixture?: Partial<FixtureOptions>;
  /** Reuse this fixture (same keys) instead of making one. */
  readonly reuse?: Fixture;
  readonly nowMs?: number;
  readonly store?: ReplayStoreOptions;
  readonly maxSequenceSources?: number;
  readonly fwknopBudget?: FwknopBudget;
  /** K of the capture filter horizon (default FILTER_HORIZON_STEPS). */
  readonly filterHorizonSteps?: number;
  /** The pipeline's monotonic clock (ms); default performance.now. */
  readonly monotonic?: () => number;
  /** Signature checks per client (default DEFAULT_SIGNATURE_BUDGET). */
  readonly signatureBudget?: { burst: number; ratePerSecond: number };
}

export function rig(o: RigOptions = {}): Rig {
  const fixture = o.reuse ?? new Fixture({ stateDir: stateDir(), ...o.fixture });
  const nowMs = o.nowMs ?? NOW;
  const log = memoryLog();
  const firewall = new FakeFirewall({ now: () => nowMs });
  const store = ReplayStore.open(fixture.config.stateDir, fixture.config.window, nowMs, o.store);
  const filters: string[] = [];
  const pipeline = new KnockPipeline({
    config: fixture.config,
    store,
    firewall,
    logger: log.logger,
    nowMs,
    onFilter: (f) => filters.push(f),
    ...(o.maxSequenceSources ? { maxSequenceSources: o.maxSequenceSources } : {}),
    ...(o.fwknopBudget ? { fwknopBudget: o.fwknopBudget } : {}),
    ...(o.filterHorizonSteps ? { filterHorizonSteps: o.filterHorizonSteps } : {}),
    ...(o.monotonic ? { monotonic: o.monotonic } : {}),
    ...(o.signatureBudget ? { signatureBudget: o.signatureBudget } : {}),
  });
  return { fixture, pipeline, firewall, store, log, filters };
}

/** The UDP ports an SPA capture filter admits (the `udp and dst port (…)` term), sorted. */
export function filterKnockPorts(filter: string): number[] {
  const m = /^\(udp and dst port \(([\d or]+)\)\)/.exec(filter);
  if (!m) throw new Error(`no SPA port term in filter: ${filter}`);
  return m[1]!
    .split(' or ')
    .map(Number)
    .sort((a, b) => a - b);
}

/** Every grant the firewall was asked for, in order. */
export function granted(fw: FakeFirewall): Grant[] {
  return fw.calls.flatMap((c) => (c.method === 'grant' ? [c.grant] : []));
}
