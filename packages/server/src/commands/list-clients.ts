/** `spa-server list-clients`: names, services, expiry and state. Never keys. */
import { type Cidr, formatIp } from '@spa/shared';
import type { ClientStanding } from '../config/types.js';
import { readCurrent } from './_edit-config.js';
import type { Io } from './_io.js';

export interface ClientRow {
  readonly name: string;
  /** spa: a spa-client profile; fwknop: the stock fwknop client ([fwknop_clients]). */
  readonly kind: 'spa' | 'fwknop';
  readonly services: readonly string[];
  /** ISO date-time, or null for never. */
  readonly expires: string | null;
  readonly revoked: boolean;
  readonly state: 'active' | 'revoked' | 'expired';
  /** The networks it may knock from (CIDR text); empty: anywhere the policy allows. */
  readonly allowedSources: readonly string[];
}

function cidrText(c: Cidr): string {
  return `${formatIp(c)}/${c.prefix}`;
}

export function clientRow(c: ClientStanding, nowMs: number, kind: ClientRow['kind'] = 'spa'): ClientRow {
  const expired = c.expiresAtMs !== undefined && c.expiresAtMs <= nowMs;
  return {
    name: c.name,
    kind,
    services: c.services,
    expires: c.expiresAtMs === undefined ? null : new Date(c.expiresAtMs).toISOString(),
    revoked: c.revoked,
    state: c.revoked ? 'revoked' : expired ? 'expired' : 'active',
    allowedSources: c.allowedSources.map(cidrText),
  };
}

/** Columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function listClients(opts: { configPath: string; json?: boolean; now?: () => number }, io: Io): void {
  const { config } = readCurrent(opts.configPath);
  const now = (opts.now ?? Date.now)();
  const rows = [
    ...[...config.clients.values()].map((c) => clientRow(c, now)),
    ...[...config.fwknop.clients.values()].map((c) => clientRow(c, now, 'fwknop')),
  ];
  if (opts.json) {
    io.out(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    io.err('no clients yet: add one with spa-server add-client NAME');
    return;
  }
  const fmt = (iso: string | null) =>
    iso === null ? 'never' : iso.replace(/T00:00:00\.000Z$/, '').replace(/\.000Z$/, 'Z');
  io.out(
    table([
      ['NAME', 'KIND', 'SERVICES', 'EXPIRES', 'STATE', 'FROM'],
      ...rows.map((r) => [
        r.name,
        r.kind,
        r.services.join(','),
        fmt(r.expires),
        r.state,
        r.allowedSources.join(',') || 'any',
      ]),
    ]),
  );
}
