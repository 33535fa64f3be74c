/**
 * `spa-server status`: live grants and their time left, and the guard, as the firewall (the
 * kernel) reports them: which ports are guarded for good, which are on trial and for how long,
 * and which configured services are not guarded at all (a trial that was not confirmed, or a
 * flushed ruleset).
 */

import { formatDuration, loadConfig } from '../config/index.js';
import type { ServerConfig } from '../config/types.js';
import { type DaemonState, daemonState } from '../daemon/index.js';
import type { GuardState, LiveGrant } from '../firewall/index.js';
import { withFirewall } from './firewall.js';
import { table } from './format.js';
import type { Io } from './io.js';

export interface StatusRow extends LiveGrant {
  /** Name of the configured service on that port, if any. */
  readonly service: string | null;
}

export interface StatusReport {
  readonly daemon: DaemonState;
  readonly guard: readonly GuardRow[];
  readonly grants: readonly StatusRow[];
}

export interface GuardRow {
  readonly service: string | null;
  readonly protocol: string;
  readonly port: number;
  /** guarded (for good), trial (the kernel lifts it unless confirmed), unguarded (configured, not in the kernel), extra (in the kernel, not in the config). */
  readonly state: 'guarded' | 'trial' | 'unguarded' | 'extra';
  readonly trialSecondsLeft: number | null;
}

/**
 * Exit codes: 0 daemon running and every configured service guarded; 3 the daemon is not
 * running (LSB "program is not running"); 4 it runs, but a configured service is not guarded.
 */
export const STATUS_EXIT = { ok: 0, notRunning: 3, unguarded: 4 } as const;

export async function status(
  opts: { configPath: string; json?: boolean; now?: () => number },
  io: Io,
): Promise<{ report: StatusReport; exitCode: number }> {
  const config = loadConfig(opts.configPath);
  const daemon = daemonState(config.stateDir, (opts.now ?? Date.now)());
  const { grants, guard } = await withFirewall(config, async (fw) => ({
    grants: await fw.list(),
    guard: fw.guard ? await fw.guard() : undefined,
  }));
  const byPort = new Map([...config.services.values()].map((s) => [`${s.protocol}/${s.port}`, s.name]));
  const rows: StatusRow[] = grants
    .map((g) => ({ ...g, service: byPort.get(`${g.protocol}/${g.port}`) ?? null }))
    .sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  const guardRows = guard ? guardState(config, guard) : [];
  const report: StatusReport = { daemon, guard: guardRows, grants: rows };
  const exitCode = !daemon.running
    ? STATUS_EXIT.notRunning
    : guardRows.some((g) => g.state === 'unguarded')
      ? STATUS_EXIT.unguarded
      : STATUS_EXIT.ok;
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2));
    return { report, exitCode };
  }
  io.out(daemonText(daemon));
  if (rows.length === 0) {
    io.err(`no live grants (${config.firewall.backend} table ${config.firewall.table})`);
  } else {
    io.out(
      `\n${table([
        ['ADDRESS', 'SERVICE', 'PORT', 'LEFT', 'CLIENT'],
        ...rows.map((r) => [
          r.address,
          r.service ?? '-',
          `${r.port}/${r.protocol}`,
          formatDuration(r.secondsLeft * 1000),
          r.client ?? '-',
        ]),
      ])}`,
    );
  }
  if (guard) io.out(`\n${guardTable(guardRows)}`);
  return { report, exitCode };
}

function daemonText(d: DaemonState): string {
  if (!d.running) return `daemon: NOT running (${d.reason}); the guard below stays as the kernel has it`;
  return `daemon: running, pid ${d.pid}, up ${formatDuration((d.uptimeSeconds ?? 0) * 1000)} (listening since ${d.since})`;
}

/** The guard per configured service, and guarded ports the config does not name. */
export function guardState(config: Pick<ServerConfig, 'services'>, guard: readonly GuardState[]): GuardRow[] {
  const key = (p: { protocol: string; port: number }) => `${p.port}/${p.protocol}`;
  const inKernel = new Map(guard.map((g) => [key(g), g]));
  const rows: GuardRow[] = [];
  const seen = new Set<string>();
  for (const s of config.services.values()) {
    const k = key(s);
    if (seen.has(k)) continue;
    seen.add(k);
    const g = inKernel.get(k);
    rows.push({
      service: s.name,
      protocol: s.protocol,
      port: s.port,
      state: !g ? 'unguarded' : g.trialSecondsLeft === undefined ? 'guarded' : 'trial',
      trialSecondsLeft: g?.trialSecondsLeft ?? null,
    });
  }
  for (const g of guard)
    if (!seen.has(key(g)))
      rows.push({
        service: null,
        protocol: g.protocol,
        port: g.port,
        state: 'extra',
        trialSecondsLeft: g.trialSecondsLeft ?? null,
      });
  return rows;
}

/** One line per configured service and per guarded port the config does not name (guardState's rows). */
export function guardTable(guard: readonly GuardRow[]): string {
  const rows = guard.map((g) => {
    const port = `${g.port}/${g.protocol}`;
    if (g.state === 'unguarded')
      return [
        g.service ?? '-',
        port,
        'NOT guarded: reachable by anyone (a trial not confirmed, or a flushed ruleset)',
      ];
    if (g.state === 'extra') return ['-', port, `${guardText(g)} (not in the config: reload)`];
    return [g.service ?? '-', port, guardText(g)];
  });
  return table([['GUARD', 'PORT', 'STATE'], ...rows]);
}

function guardText(g: GuardRow): string {
  return g.trialSecondsLeft === null
    ? 'guarded'
    : `on trial: the kernel lifts the guard in ${formatDuration(g.trialSecondsLeft * 1000)} unless confirmed`;
}
