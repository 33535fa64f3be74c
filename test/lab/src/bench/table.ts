/**
 * The results as rows (min, median, p99, n and a note) for the console table and the
 * markdown report: one row per system and measurement, spa and fwknopd next to each other.
 */
import type { BenchResults, FloodResult } from './results.js';
import { fmtInt, fmtMs, fmtPct } from './stats.js';

export interface Row {
  measure: string;
  system: string;
  min: string;
  p50: string;
  p99: string;
  n: string;
  note: string;
}

export const HEADER: Row = {
  measure: 'measure',
  system: 'system',
  min: 'min ms',
  p50: 'median ms',
  p99: 'p99 ms',
  n: 'n',
  note: 'note',
};

const rateText = (f: FloodResult) =>
  f.rate === 'max' ? `max (${fmtInt(f.sentRate)}/s)` : `${fmtInt(f.rate)}/s`;

export const SCENARIO_TEXT = {
  'fixed-port': 'at its fixed port 62201',
  'stale-port': 'at a stale knock port',
  'current-port': 'at the current knock ports',
} as const;

export function rows(r: BenchResults): Row[] {
  const out: Row[] = [];
  for (const l of r.latency) {
    out.push({
      measure: 'open latency, no flood',
      system: l.system,
      min: fmtMs(l.summary.min),
      p50: fmtMs(l.summary.p50),
      p99: fmtMs(l.summary.p99),
      n: String(l.summary.n),
      note: l.failures ? `${l.failures} of ${l.attempts} did not open` : '',
    });
  }
  if (r.latencyFloor) {
    const f = r.latencyFloor;
    out.push({
      measure: 'method floor: same probe, port already open',
      system: '–',
      min: fmtMs(f.min),
      p50: fmtMs(f.p50),
      p99: fmtMs(f.p99),
      n: String(f.n),
      note: 'what the measurement itself adds',
    });
  }
  for (const f of r.flood) {
    out.push({
      measure: `open under flood ${rateText(f)} ${SCENARIO_TEXT[f.scenario]}`,
      system: f.system,
      min: fmtMs(f.summary.min),
      p50: fmtMs(f.summary.p50),
      p99: fmtMs(f.summary.p99),
      n: `${f.opened}/${f.attempts}`,
      note:
        `${fmtPct(f.openedWithin1s / f.attempts)} within 1 s` +
        (f.daemon && f.scenario === 'current-port' && f.sent > 0
          ? `; daemon saw ${fmtPct(Math.min(1, (f.daemon.client ?? 0) / f.sent))} of the flood`
          : ''),
    });
  }
  for (const c of r.cpu) {
    out.push({
      measure: `CPU per forged packet at ${fmtInt(c.rate)}/s`,
      system: c.system,
      min: '',
      p50: '',
      p99: '',
      n: fmtInt(c.packets),
      note:
        `${c.usPerPacket.toFixed(2)} µs/packet sent` +
        (c.handled !== undefined ? `; daemon handled ${fmtPct(c.handled / c.packets)} of them` : ''),
    });
  }
  for (const m of r.memory) {
    out.push({
      measure: `RSS idle → after ${Math.round(m.floodSeconds)} s flood (${fmtInt(m.sentRate)}/s)`,
      system: m.system,
      min: '',
      p50: '',
      p99: '',
      n: fmtInt(m.sent),
      note:
        `${m.idleMb.toFixed(1)} → ${m.endMb.toFixed(1)} MB (max ${m.maxMb.toFixed(1)}, ` +
        `${m.slopeMbPerMin.toFixed(1)} MB/min); legit opens ${m.legitOpened}/${m.legitAttempts}`,
    });
  }
  for (const s of r.scaling) {
    out.push({
      measure: `verify cost, ${fmtInt(s.clients)} clients`,
      system: 'spa',
      min: '',
      p50: '',
      p99: '',
      n: '',
      note: `forged ${s.forgedUs.toFixed(2)} µs, valid ${s.validUs.toFixed(1)} µs`,
    });
  }
  if (r.configLoad) {
    out.push({
      measure: `config load, ${fmtInt(r.configLoad.clients)} clients`,
      system: 'spa',
      min: '',
      p50: fmtMs(r.configLoad.ms),
      p99: '',
      n: '1',
      note: `ready to verify after ${fmtMs(r.configLoad.readyMs)} ms`,
    });
  }
  if (r.startup) {
    out.push({
      measure: 'client start-up (open --no-wait)',
      system: 'spa',
      min: fmtMs(r.startup.summary.min),
      p50: fmtMs(r.startup.summary.p50),
      p99: fmtMs(r.startup.summary.p99),
      n: String(r.startup.summary.n),
      note: r.startup.failures ? `${r.startup.failures} failed` : '',
    });
    const f = r.startup.nodeFloor;
    out.push({
      measure: 'node start-up alone (node -e 0)',
      system: '–',
      min: fmtMs(f.min),
      p50: fmtMs(f.p50),
      p99: fmtMs(f.p99),
      n: String(f.n),
      note: 'floor for any Node CLI here',
    });
  }
  return out;
}

const COLUMNS = ['measure', 'system', 'min', 'p50', 'p99', 'n', 'note'] as const;

export function printTable(
  r: BenchResults,
  write: (s: string) => void = (s) => process.stdout.write(s),
): void {
  const all = [HEADER, ...rows(r)];
  const width = COLUMNS.map((c) => Math.max(...all.map((row) => row[c].length)));
  const right = new Set(['min', 'p50', 'p99', 'n']);
  write('\n');
  for (const row of all) {
    const cells = COLUMNS.map((c, i) =>
      right.has(c) ? row[c].padStart(width[i]!) : row[c].padEnd(width[i]!),
    );
    write(cells.join('  ').trimEnd() + '\n');
  }
  write('\n');
}
