/**
 * `spa-server status`: live grants and their time left, and the guard, as the firewall (the
 * kernel) reports them: which ports are guarded for good, which are on trial and for how long,
 * and which configured services are not guarded at all (a trial that was not confirmed, or a
 * flushed ruleset).
 */

import { formatDuration, loadConfig } from '../config/index.js';
import type { ServerConfig } from '../config/types.js';
import type { GuardState, LiveGrant } from '../firewall/index.js';
import { withFirewall } from './firewall.js';
import { table } from './format.js';
import type { Io } from './io.js';

export interface StatusRow extends LiveGrant {
  /** Name of the configured service on that port, if any. */
  readonly service: string | null;
}

export async function status(opts: { configPath: string; json?: boolean }, io: Io): Promise<StatusRow[]> {
  const config = loadConfig(opts.configPath);
  const { grants, guard } = await withFirewall(config, async (fw) => ({
    grants: await fw.list(),
    guard: fw.guard ? await fw.guard() : undefined,
  }));
  const byPort = new Map([...config.services.values()].map((s) => [`${s.protocol}/${s.port}`, s.name]));
  const rows: StatusRow[] = grants
    .map((g) => ({ ...g, service: byPort.get(`${g.protocol}/${g.port}`) ?? null }))
    .sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);
  if (opts.json) {
    io.out(JSON.stringify(rows, null, 2));
  } else if (rows.length === 0) {
    io.err(`no live grants (${config.firewall.backend} table ${config.firewall.table})`);
  } else {
    io.out(
      table([
        ['ADDRESS', 'SERVICE', 'PORT', 'LEFT'],
        ...rows.map((r) => [
          r.address,
          r.service ?? '-',
          `${r.port}/${r.protocol}`,
          formatDuration(r.secondsLeft * 1000),
        ]),
      ]),
    );
  }
  if (!opts.json && guard) io.out(`${rows.length > 0 ? '\n' : ''}${guardTable(config, guard)}`);
  return rows;
}

/** One line per configured service and per guarded port the config does not name. */
export function guardTable(config: Pick<ServerConfig, 'services'>, guard: readonly GuardState[]): string {
  const key = (p: { protocol: string; port: number }) => `${p.port}/${p.protocol}`;
  const inKernel = new Map(guard.map((g) => [key(g), g]));
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const s of config.services.values()) {
    const k = key(s);
    if (seen.has(k)) continue;
    seen.add(k);
    const g = inKernel.get(k);
    rows.push([
      s.name,
      k,
      g ? guardText(g) : 'NOT guarded: reachable by anyone (a trial not confirmed, or a flushed ruleset)',
    ]);
  }
  for (const g of guard)
    if (!seen.has(key(g))) rows.push(['-', key(g), `${guardText(g)} (not in the config: reload)`]);
  return table([['GUARD', 'PORT', 'STATE'], ...rows]);
}

function guardText(g: GuardState): string {
  return g.trialSecondsLeft === undefined
    ? 'guarded'
    : `on trial: the kernel lifts the guard in ${formatDuration(g.trialSecondsLeft * 1000)} unless confirmed`;
}
