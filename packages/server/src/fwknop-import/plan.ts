/**
 * One fwknopd access.conf stanza → one `[fwknop_clients.NAME]` table (pure: the current
 * configuration and the clock are passed in). Every variable ends up either carried (with
 * the spa key it became) or not carried (with why); a stanza spa cannot honour as fwknopd
 * would is refused as a whole, with how to fix it. Nothing is dropped silently.
 */

import type { L4Protocol } from '@spa/shared';
import { NAME_PATTERN } from '../config/index.js';
import type { AccessEntry } from './access-conf.js';
import {
  type Carried,
  type NewService,
  type NotCarried,
  type Part,
  PartBuilder,
  type Refusal,
} from './part.js';
import { type PortsContext, planPorts, planSource } from './plan-access.js';
import { keyBytes, planDigest, planEncryptionMode, planKeys, type StanzaKeys } from './plan-keys.js';
import {
  type PolicyContext,
  planExpiry,
  planLeftovers,
  planRequirements,
  planTimeouts,
} from './plan-terms.js';
import { variableGroup } from './variables.js';

export type { Carried, NewService, NotCarried, Refusal } from './part.js';
export { shownValue } from './part.js';
export { keyBytes } from './plan-keys.js';

/** A stanza ready to plan: its entries already include those of its %include_keys files. */
export interface NumberedStanza {
  /** 1-based, in import order across included files. */
  readonly number: number;
  readonly file: string;
  readonly line: number;
  readonly source: string;
  readonly entries: readonly AccessEntry[];
}

export interface StanzaPlan {
  readonly stanza: NumberedStanza;
  readonly name: string | undefined;
  /** The `[fwknop_clients.NAME]` table, in FWKNOP_CLIENT_KEYS order. */
  readonly table: Record<string, unknown>;
  /** Services this stanza needs that [services] does not have yet. */
  readonly newServices: readonly NewService[];
  readonly carried: readonly Carried[];
  readonly notCarried: readonly NotCarried[];
  /** Non-empty: the stanza is skipped. */
  readonly refused: readonly Refusal[];
  /** Set when an existing client already has exactly these keys (a re-run): nothing to do. */
  readonly alreadyAs?: string;
}

export interface ExistingFwknopClient {
  readonly name: string;
  /** Decoded Rijndael and HMAC keys (see keyBytes), to recognise a re-run. */
  readonly encKey: Uint8Array | undefined;
  readonly hmacKey: Uint8Array | undefined;
  /** Planned by this import (an earlier stanza), not read from the config. */
  readonly thisImport?: boolean;
}

export interface PlanContext extends PortsContext, PolicyContext {
  /** Names taken by [clients.NAME]. */
  readonly clientNames: ReadonlySet<string>;
  readonly fwknopClients: readonly ExistingFwknopClient[];
  /** `--prefix`: names become PREFIX-USERNAME or PREFIX-N. */
  readonly prefix?: string;
}

/** Plan every stanza in order; names and services chosen for one are taken for the next. */
export function planImport(stanzas: readonly NumberedStanza[], ctx: PlanContext): StanzaPlan[] {
  const services = new Map(ctx.services);
  const names = new Set([...ctx.clientNames, ...ctx.fwknopClients.map((c) => c.name)]);
  const known = [...ctx.fwknopClients];
  const plans: StanzaPlan[] = [];
  for (const stanza of stanzas) {
    const plan = planStanza(stanza, { ...ctx, services, fwknopClients: known }, names);
    plans.push(plan);
    if (plan.refused.length === 0 && plan.name && !plan.alreadyAs) {
      names.add(plan.name);
      for (const s of plan.newServices) {
        const [port, protocol] = s.spec.split('/');
        services.set(s.name, { port: Number(port), protocol: protocol as L4Protocol });
      }
      const t = plan.table;
      known.push({
        name: plan.name,
        encKey: keyBytes(String(t.key_base64 ?? t.key), t.key_base64 !== undefined),
        hmacKey: keyBytes(String(t.hmac_key_base64 ?? t.hmac_key), t.hmac_key_base64 !== undefined),
        thisImport: true,
      });
    }
  }
  return plans;
}

function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/**
 * One stanza, part by part (each part says what it carried, did not carry or refused), in the
 * order the report lists them; then the name, or the existing client it already is.
 */
export function planStanza(stanza: NumberedStanza, ctx: PlanContext, taken: ReadonlySet<string>): StanzaPlan {
  const { effective, overridden } = lastLines(stanza.entries);
  const get = (k: string): AccessEntry | undefined => effective.find((e) => e.key === k);
  const keys = planKeys(get, effective);
  const requirements = planRequirements(get, ctx);
  const plan = joinParts([
    overridden,
    planSource(stanza.source),
    keys,
    planDigest(get),
    planEncryptionMode(get),
    planPorts(get, ctx),
    planExpiry(get, ctx),
    planTimeouts(get, ctx),
    requirements,
    planLeftovers(effective),
  ]);
  return named(stanza, plan, keys, requirements.user, ctx, taken);
}

/** fwknopd keeps the last line of a variable (or of a group like KEY/KEY_BASE64). */
function lastLines(entries: readonly AccessEntry[]): { effective: AccessEntry[]; overridden: Part } {
  const overridden = new PartBuilder();
  const last = new Map<string, AccessEntry>();
  for (const e of entries) last.set(variableGroup(e.key), e);
  const effective = entries.filter((e) => {
    const winner = last.get(variableGroup(e.key))!;
    if (winner !== e)
      overridden.skip(e, `overridden by ${winner.key} on line ${winner.line} (fwknopd uses the last one)`);
    return winner === e;
  });
  return { effective, overridden };
}

function joinParts(parts: readonly Part[]): Part {
  const all = new PartBuilder();
  for (const p of parts) {
    Object.assign(all.table, p.table);
    all.carried.push(...p.carried);
    all.notCarried.push(...p.notCarried);
    all.refused.push(...p.refused);
    all.newServices.push(...p.newServices);
  }
  return all;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

/**
 * The client's name: REQUIRE_USERNAME if it makes a free name, else PREFIX-N. A client with
 * the same keys from an earlier run is that client (nothing to do); one that shares a key with
 * another client is refused (spa finds fwknop clients by their keys).
 */
function named(
  stanza: NumberedStanza,
  plan: Part,
  keys: StanzaKeys,
  user: string | undefined,
  ctx: PlanContext,
  taken: ReadonlySet<string>,
): StanzaPlan {
  const { carried, notCarried, newServices } = plan;
  const refused = [...plan.refused];
  const { enc, mac } = keys;
  const twin = ctx.fwknopClients.find(
    (c) => !c.thisImport && sameBytes(c.encKey, enc) && sameBytes(c.hmacKey, mac),
  );
  const prefixed = (s: string): string => (ctx.prefix ? `${ctx.prefix}-${s}` : s);
  const name =
    user !== undefined && NAME_PATTERN.test(prefixed(user)) && !taken.has(prefixed(user))
      ? prefixed(user)
      : uniqueName(`${ctx.prefix ?? 'fwknop'}-${stanza.number}`, taken);
  if (twin && refused.length === 0) {
    return {
      stanza,
      name: twin.name,
      table: plan.table,
      newServices: [],
      carried,
      notCarried,
      refused,
      alreadyAs: twin.name,
    };
  }
  if (twin === undefined && enc && mac) {
    // Same keys inside one file cannot be told apart by spa (it finds the client by its keys).
    const same = ctx.fwknopClients.find((c) => sameBytes(c.encKey, enc) || sameBytes(c.hmacKey, mac));
    if (same) {
      refused.push({
        why: `same KEY or HMAC key as fwknop client ${same.name}: spa tells fwknop clients apart by their keys`,
        fix: `give this client its own keys (fwknop --key-gen), or merge this SOURCE into the stanza of ${same.name}`,
      });
    }
  }
  if (refused.length > 0)
    return { stanza, name: undefined, table: {}, newServices: [], carried, notCarried, refused };
  return { stanza, name, table: ordered(plan.table), newServices, carried, notCarried, refused };
}

const ORDER = [
  'key_base64',
  'key',
  'hmac_key_base64',
  'hmac_key',
  'hmac_digest',
  'services',
  'expires',
  'revoked',
  'allowed_sources',
  'require_literal_address',
  'require_username',
  'default_duration',
  'max_duration',
];

function ordered(t: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ORDER) if (t[k] !== undefined) out[k] = t[k];
  return out;
}
