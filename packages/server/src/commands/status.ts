/** `spa-server status`: live grants and their time left, as the firewall reports them. */

import { formatDuration } from '../config/duration.js';
import { loadConfig } from '../config/load.js';
import type { LiveGrant } from '../firewall/firewall.js';
import { withFirewall } from './_firewall.js';
import type { Io } from './_io.js';
import { table } from './list-clients.js';

export interface StatusRow extends LiveGrant {
  /** Name of the configured service on that port, if any. */
  readonly service: string | null;
}

export async function status(opts: { configPath: string; json?: boolean }, io: Io): Promise<StatusRow[]> {
  const config = loadConfig(opts.configPath);
  const grants = await withFirewall(config, (fw) => fw.list());
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
  return rows;
}
