/**
 * What a reload (SIGHUP) may change: clients (fwknop clients and their port too), policy,
 * services and the log level. Everything else (keys, knock ports, step, window, sequences,
 * interfaces, state directory, firewall backend) is bound into running parts and needs a restart: the reloaded file's values for those are
 * ignored and named in a warning. Only field names are reported, never values (secrets).
 */
import { equalConstantTime } from '@spa/shared';
import type { ClientStanding, ServerConfig } from '../config/types.js';

export interface ReloadPlan {
  /** The configuration to run with: the old one with the reloadable parts of the new. */
  readonly config: ServerConfig;
  /** Fields that changed in the file but need a restart. */
  readonly needRestart: readonly string[];
}

export function planReload(current: ServerConfig, loaded: ServerConfig): ReloadPlan {
  const needRestart: string[] = [];
  const differs = (name: string, a: unknown, b: unknown) => {
    if (!sameValue(a, b)) needRestart.push(name);
  };
  differs('serverSecret', current.serverSecret, loaded.serverSecret);
  differs('serverId', current.serverId, loaded.serverId);
  differs('knock', current.knock, loaded.knock);
  differs('stepSeconds', current.stepSeconds, loaded.stepSeconds);
  differs('window', current.window, loaded.window);
  differs('sequence', current.sequence, loaded.sequence);
  differs('interfaces', current.interfaces, loaded.interfaces);
  differs('stateDir', current.stateDir, loaded.stateDir);
  // out_of_band is a note for people (spa-server check), not bound into the firewall.
  differs('firewall', { ...current.firewall, outOfBand: '' }, { ...loaded.firewall, outOfBand: '' });
  return {
    config: {
      ...current,
      clients: loaded.clients,
      policy: loaded.policy,
      services: loaded.services,
      fwknop: loaded.fwknop,
      firewall: withNote(current.firewall, loaded.firewall.outOfBand),
      logLevel: loaded.logLevel,
      serverName: loaded.serverName,
      advertiseHost: loaded.advertiseHost,
      notices: loaded.notices ?? [],
    },
    needRestart,
  };
}

/** The running firewall settings with the reloaded out-of-band note (its only reloadable part). */
function withNote(f: ServerConfig['firewall'], outOfBand: string | undefined): ServerConfig['firewall'] {
  const { outOfBand: _old, ...rest } = f;
  return outOfBand === undefined ? rest : { ...rest, outOfBand };
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return equalConstantTime(a, b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

/** Who a reload let in or shut out, by name (for the audit line; never keys). Empty lists omitted. */
export interface ClientChanges {
  added?: string[];
  removed?: string[];
  revoked?: string[];
  reinstated?: string[];
}

export function clientChanges(before: ServerConfig, after: ServerConfig): ClientChanges {
  const all = (c: ServerConfig): Map<string, ClientStanding> =>
    new Map<string, ClientStanding>([...c.clients, ...c.fwknop.clients]);
  const old = all(before);
  const now = all(after);
  const out: ClientChanges = {};
  const put = (k: keyof ClientChanges, name: string) => {
    const list = out[k] ?? [];
    list.push(name);
    out[k] = list;
  };
  for (const [name, c] of now) {
    const was = old.get(name);
    if (!was) put('added', name);
    else if (c.revoked && !was.revoked) put('revoked', name);
    else if (!c.revoked && was.revoked) put('reinstated', name);
  }
  for (const name of old.keys()) if (!now.has(name)) put('removed', name);
  return out;
}
