/**
 * From what the user typed to where packets go: `SERVICE[@SERVER]` → profile and service,
 * `HOST PORT` (ssh's ProxyCommand) → profile and service, and the profile's host → address.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type ProfileService, SERVICE_NAME_PATTERN } from '@spa/shared';
import { ClientError, usage } from './errors.js';
import type { StoredProfile } from './profile-store.js';

export interface Selected {
  readonly entry: StoredProfile;
  readonly service: string;
  readonly spec: ProfileService;
}

const NO_PROFILES_HINT =
  'import one first: spa-client import - < PROFILE_FILE (the spa:// line spa-server add-client printed)';

function offering(profiles: readonly StoredProfile[], service: string): StoredProfile[] {
  return profiles.filter((p) => Object.hasOwn(p.profile.services, service));
}

function servicesOf(p: StoredProfile): string {
  return Object.keys(p.profile.services).join(', ') || 'none';
}

/** Profiles called `server`: by profile name first, else by the server's own name or host. */
function byServer(profiles: readonly StoredProfile[], server: string): StoredProfile[] {
  const named = profiles.filter((p) => p.name === server);
  if (named.length > 0) return named;
  const s = server.toLowerCase();
  return profiles.filter((p) => p.profile.server.toLowerCase() === s || p.profile.host.toLowerCase() === s);
}

/** Resolve `ssh` or `ssh@web1` against the stored profiles. */
export function selectTarget(
  profiles: readonly StoredProfile[],
  target: string,
  file = 'the profile file',
): Selected {
  const at = target.indexOf('@');
  const service = at < 0 ? target : target.slice(0, at);
  const server = at < 0 ? undefined : target.slice(at + 1);
  if (!SERVICE_NAME_PATTERN.test(service)) {
    throw usage(`"${service}" is not a service name`, 'write SERVICE or SERVICE@SERVER, e.g. ssh@web1');
  }
  if (server === '') throw usage(`"${target}": the server name after @ is empty`);
  if (profiles.length === 0) throw new ClientError('no-profile', `no profiles in ${file}`, NO_PROFILES_HINT);
  let candidates: StoredProfile[];
  if (server !== undefined) {
    const named = byServer(profiles, server);
    if (named.length === 0) {
      throw new ClientError(
        'no-profile',
        `no profile named "${server}"`,
        `profiles: ${profiles.map((p) => p.name).join(', ')}`,
      );
    }
    candidates = offering(named, service);
    if (candidates.length === 0) {
      throw new ClientError(
        'unknown-service',
        `unknown service "${service}" on ${named.map((p) => p.name).join(', ')}`,
        `it offers: ${named.map(servicesOf).join('; ')}`,
      );
    }
  } else {
    candidates = offering(profiles, service);
    if (candidates.length === 0) {
      const all = [...new Set(profiles.flatMap((p) => Object.keys(p.profile.services)))].sort();
      throw new ClientError(
        'unknown-service',
        `unknown service "${service}": no profile offers it`,
        `services offered: ${all.join(', ') || 'none'}`,
      );
    }
  }
  if (candidates.length > 1) {
    const names = candidates.map((p) => p.name);
    throw new ClientError(
      'ambiguous',
      `"${service}" is offered by several profiles: ${names.join(', ')}`,
      `say which one, e.g. ${service}@${names[0]}`,
    );
  }
  const entry = candidates[0]!;
  return { entry, service, spec: entry.profile.services[service]! };
}

/** ssh's ProxyCommand `%h %p`: the profile whose host or name is HOST with a service on PORT/tcp. */
export function selectByHostPort(profiles: readonly StoredProfile[], host: string, port: number): Selected {
  const matching = byServer(profiles, host);
  if (matching.length === 0) {
    throw new ClientError(
      'no-profile',
      `no profile for host "${host}"`,
      profiles.length
        ? `profiles: ${profiles.map((p) => `${p.name} (${p.profile.host})`).join(', ')}`
        : NO_PROFILES_HINT,
    );
  }
  const found: Selected[] = [];
  for (const entry of matching) {
    for (const [service, spec] of Object.entries(entry.profile.services)) {
      if (spec.port === port && spec.protocol === 'tcp') {
        found.push({ entry, service, spec });
        break;
      }
    }
  }
  if (found.length === 0) {
    throw new ClientError(
      'unknown-service',
      `no service on port ${port}/tcp for host "${host}"`,
      `it offers: ${matching.map(servicesOf).join('; ')}`,
    );
  }
  if (found.length > 1) {
    throw new ClientError(
      'ambiguous',
      `host "${host}" port ${port} matches several profiles: ${found.map((f) => f.entry.name).join(', ')}`,
      'give each profile a distinct host, or use spa-client open SERVICE@NAME',
    );
  }
  return found[0]!;
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Where a packet or a connection goes. */
export interface Endpoint extends ResolvedAddress {
  readonly port: number;
}

export type Lookup = (host: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver, all families, in the order it returns them. */
export const systemLookup: Lookup = async (host) => {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** A literal address as is; a name through `lookup`, keeping the first of `family` if given. */
export async function resolveHost(host: string, lookup: Lookup, family?: 4 | 6): Promise<ResolvedAddress> {
  const literal = isIP(host);
  let found: readonly ResolvedAddress[];
  if (literal !== 0) {
    found = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      found = await lookup(host);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new ClientError(
        'resolve',
        `cannot resolve "${host}" (${code})`,
        'check the name and your DNS, or edit `host` of this profile in the profile file',
      );
    }
  }
  const pick = family ? found.find((a) => a.family === family) : found[0];
  if (!pick) {
    throw new ClientError(
      'resolve',
      `"${host}" has no IPv${family ?? ''} address`,
      family ? `drop -${family}, or check the name` : 'check the name and your DNS',
    );
  }
  return pick;
}
