/**
 * `[metrics] textfile = PATH`: the counters in Prometheus text format, for node_exporter's
 * textfile collector (`--collector.textfile.directory`), rewritten every 15 s. No listening
 * socket: the daemon stays a sniffer. Written atomically: a new temp file beside PATH
 * (O_EXCL|O_NOFOLLOW, mode 0644), then rename over PATH, so the collector never reads half a file
 * and a symlink planted at the temp name is never followed.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KNOCK_REJECTS } from '../pipeline/index.js';

export const METRICS_EVERY_MS = 15_000;

export interface MetricsSnapshot {
  /** The pipeline's counters (reasons, events, `capture:REASON`). */
  readonly counters: Readonly<Record<string, number>>;
  readonly startedAtMs: number;
  readonly lastReloadAtMs: number | undefined;
  readonly replayEntries: number;
  /** Grants the firewall holds now (its list()); undefined = it could not say, the gauge is left out. */
  readonly liveGrants: number | undefined;
}

const REJECTS = new Set<string>(KNOCK_REJECTS);

/** Prometheus text exposition format 0.0.4. Label values are stable codes (no escaping needed). */
export function renderMetrics(m: MetricsSnapshot): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
  };
  const c = m.counters;
  const by = (pick: (k: string) => string | undefined): [string, number][] =>
    Object.entries(c)
      .map(([k, v]) => [pick(k), v] as const)
      .filter((e): e is readonly [string, number] => e[0] !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([l, v]) => [l, v]);
  metric(
    'spa_knocks_rejected_total',
    'counter',
    'Knocks dropped, by reason (docs/protocol.md).',
    by((k) => (REJECTS.has(k) ? `{reason="${k}"}` : undefined)),
  );
  metric('spa_grants_total', 'counter', 'Grants handed to the firewall.', [['', c.grant ?? 0]]);
  metric('spa_grants_failed_total', 'counter', 'Grants the firewall refused or failed.', [
    ['', c['grant-failed'] ?? 0],
  ]);
  metric(
    'spa_capture_dropped_total',
    'counter',
    'Frames the capture dropped before the pipeline, by reason.',
    by((k) => (k.startsWith('capture:') ? `{reason="${k.slice(8)}"}` : undefined)),
  );
  metric(
    'spa_events_total',
    'counter',
    'Other pipeline events (sequences, internal errors).',
    by((k) =>
      !REJECTS.has(k) && !k.startsWith('capture:') && k !== 'grant' && k !== 'grant-failed'
        ? `{event="${k}"}`
        : undefined,
    ),
  );
  if (m.liveGrants !== undefined)
    metric('spa_live_grants', 'gauge', 'Grants live in the firewall now (its own listing).', [
      ['', m.liveGrants],
    ]);
  metric('spa_replay_entries', 'gauge', 'One-time ids remembered.', [['', m.replayEntries]]);
  metric('spa_start_time_seconds', 'gauge', 'When the daemon started listening (Unix time).', [
    ['', Math.floor(m.startedAtMs / 1000)],
  ]);
  metric('spa_last_reload_time_seconds', 'gauge', 'Last successful reload (Unix time; 0 = none yet).', [
    ['', m.lastReloadAtMs === undefined ? 0 : Math.floor(m.lastReloadAtMs / 1000)],
  ]);
  return `${lines.join('\n')}\n`;
}

export function writeMetricsFile(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path); // replaces a file or a symlink at PATH itself, never its target
  } catch (e) {
    unlinkSync(tmp);
    throw e;
  }
}
