/**
 * The server's policy: which authentic, fresh knock may open what, for whom and how long.
 * Pure: the client, the decoded payload, the packet's source address, the time and the
 * configuration come in; grants or a stable reason go out (reasons.ts).
 *
 * Checks, in order: revoked → expired → literal address required → allowed source networks
 * → services. A knock is allowed whole or not at all: one access entry the client may not
 * use rejects the knock.
 *
 * - `{kind:'service'}` must name a service of the client that the server defines.
 * - `{kind:'port'}` must be the protocol/port of one of the client's services.
 * - Allowed networks (server-wide and per client; both apply when both are set) are checked
 *   against the packet's source address and, for a literal target, against that address too.
 * - Duration: 0 asks for the default; anything is capped at the maximum.
 */
import { type Access, formatIp, type IpAddress, type KnockPayload, parseIp } from '@spa/shared';
import type { ClientStanding, PolicyConfig, ServiceDef } from '../config/types.js';
import type { PolicyReason } from './reasons.js';
import { sourceAllowed } from './sources.js';

/** What the policy reads from the server configuration. */
export interface PolicyView {
  readonly policy: PolicyConfig;
  readonly services: ReadonlyMap<string, ServiceDef>;
}

/** One firewall grant, with the name of the service it opens (for the log). */
export interface PolicyGrant {
  /** Canonical address text (formatIp). */
  readonly address: string;
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  readonly seconds: number;
  readonly service: string;
}

export type PolicyVerdict =
  | { readonly ok: true; readonly grants: readonly PolicyGrant[] }
  | { readonly ok: false; readonly reason: PolicyReason };

const deny = (reason: PolicyReason): PolicyVerdict => ({ ok: false, reason });

/** What a knock asks for: a native payload, or an fwknop access message mapped onto it. */
export type AccessRequest = Pick<KnockPayload, 'target' | 'access' | 'durationSeconds'>;

/** Policy for an SPA knock. `sourceAddress` is the packet's source address as text. */
export function evaluatePolicy(
  client: ClientStanding,
  payload: AccessRequest,
  sourceAddress: string,
  nowMs: number,
  config: PolicyView,
): PolicyVerdict {
  const standing = clientStanding(client, nowMs);
  if (standing) return deny(standing);
  if (payload.target.kind === 'source' && config.policy.requireLiteralAddress) return deny('policy-literal');
  const source = parseIp(sourceAddress);
  if (!source || !addressAllowed(client, source, config.policy)) return deny('policy-source');
  let target: IpAddress = source;
  if (payload.target.kind === 'address') {
    target = payload.target.address;
    if (!addressAllowed(client, target, config.policy)) return deny('policy-source');
  }
  const services = resolveAccess(client, payload.access, config.services);
  if (!services) return deny('policy-service');
  const seconds = grantSeconds(payload.durationSeconds, config.policy);
  const address = formatIp(target);
  return {
    ok: true,
    grants: services.map((s) => ({ address, protocol: s.protocol, port: s.port, seconds, service: s.name })),
  };
}

/**
 * Policy for a completed one-time knock sequence: it opens `service` for the packet's source
 * address for the default duration. `requireLiteralAddress` does not apply: a sequence
 * carries no address, and its source is the only address it can mean.
 */
export function evaluateSequencePolicy(
  client: ClientStanding,
  service: string,
  sourceAddress: string,
  nowMs: number,
  config: PolicyView,
): PolicyVerdict {
  const standing = clientStanding(client, nowMs);
  if (standing) return deny(standing);
  const source = parseIp(sourceAddress);
  if (!source || !addressAllowed(client, source, config.policy)) return deny('policy-source');
  const def = config.services.get(service);
  if (!def || !client.services.includes(service)) return deny('policy-service');
  const seconds = grantSeconds(0, config.policy);
  return {
    ok: true,
    grants: [
      { address: formatIp(source), protocol: def.protocol, port: def.port, seconds, service: def.name },
    ],
  };
}

/** Revoked or expired keys work for nothing. */
export function clientStanding(client: ClientStanding, nowMs: number): PolicyReason | undefined {
  if (client.revoked) return 'policy-revoked';
  if (client.expiresAtMs !== undefined && nowMs >= client.expiresAtMs) return 'policy-expired';
  return undefined;
}

/** 0 = the default; everything capped at the maximum; never below one second. */
export function grantSeconds(requested: number, policy: PolicyConfig): number {
  const wanted = requested === 0 ? policy.defaultDurationSeconds : requested;
  return Math.max(1, Math.min(wanted, policy.maxDurationSeconds));
}

function addressAllowed(client: ClientStanding, address: IpAddress, policy: PolicyConfig): boolean {
  return sourceAllowed(policy.allowedSources, address) && sourceAllowed(client.allowedSources, address);
}

/** The services a knock's access list names, without duplicates; undefined if any is not allowed. */
function resolveAccess(
  client: ClientStanding,
  access: readonly Access[],
  services: ReadonlyMap<string, ServiceDef>,
): ServiceDef[] | undefined {
  const out: ServiceDef[] = [];
  for (const a of access) {
    let def: ServiceDef | undefined;
    if (a.kind === 'service') {
      if (client.services.includes(a.name)) def = services.get(a.name);
    } else {
      for (const name of client.services) {
        const s = services.get(name);
        if (s && s.protocol === a.protocol && s.port === a.port) {
          def = s;
          break;
        }
      }
    }
    if (!def) return undefined;
    if (!out.some((s) => s.protocol === def.protocol && s.port === def.port)) out.push(def);
  }
  return out;
}
