/** `spa-server list-clients`: names, services, expiry and state. Never keys. */
import { type Cidr, formatIp, sshFingerprint } from '@spa/shared';
import type { ClientDef, ClientStanding } from '../config/types.js';
import { readCurrent } from './edit-config.js';
import { table } from './format.js';
import type { Io } from './io.js';

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
  /** Two-factor: the SSH key that must sign its knocks, as `ssh-keygen -l` names it; null = none. */
  readonly sshKey: {
    readonly type: string;
    readonly fingerprint: string;
    readonly requireTouch: boolean;
  } | null;
}

function cidrText(c: Cidr): string {
  return `${formatIp(c)}/${c.prefix}`;
}

export function clientRow(
  c: ClientStanding & Partial<Pick<ClientDef, 'sshKey' | 'requireTouch'>>,
  nowMs: number,
  kind: ClientRow['kind'] = 'spa',
): ClientRow {
  const expired = c.expiresAtMs !== undefined && c.expiresAtMs <= nowMs;
  return {
    name: c.name,
    kind,
    services: c.services,
    expires: c.expiresAtMs === undefined ? null : new Date(c.expiresAtMs).toISOString(),
    revoked: c.revoked,
    state: c.revoked ? 'revoked' : expired ? 'expired' : 'active',
    allowedSources: c.allowedSources.map(cidrText),
    sshKey: c.sshKey
      ? {
          type: c.sshKey.type,
          fingerprint: sshFingerprint(c.sshKey.blob),
          requireTouch: c.requireTouch === true,
        }
      : null,
  };
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
  // The SSH KEY column only when some client has one (two-factor knocks).
  const keys = rows.some((r) => r.sshKey) ? ['SSH KEY'] : [];
  const keyCell = (r: ClientRow) => (keys.length ? [sshKeyText(r.sshKey)] : []);
  io.out(
    table([
      ['NAME', 'KIND', 'SERVICES', 'EXPIRES', 'STATE', 'FROM', ...keys],
      ...rows.map((r) => [
        r.name,
        r.kind,
        r.services.join(','),
        fmt(r.expires),
        r.state,
        r.allowedSources.join(',') || 'any',
        ...keyCell(r),
      ]),
    ]),
  );
}

/** `ssh-ed25519 SHA256:…` (+ `touch`), or `-`. */
function sshKeyText(k: ClientRow['sshKey']): string {
  return k ? `${k.type} ${k.fingerprint}${k.requireTouch ? ' touch' : ''}` : '-';
}
