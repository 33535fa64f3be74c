/**
 * One fwknopd access.conf stanza → one `[fwknop_clients.NAME]` table (pure: the current
 * configuration and the clock are passed in). Every variable ends up either carried (with
 * the spa key it became) or not carried (with why); a stanza spa cannot honour as fwknopd
 * would is refused as a whole, with how to fix it. Nothing is dropped silently.
 */
import {
  DURATION_MAX_SECONDS,
  FWKNOP_DIGESTS,
  fromBase64,
  type L4Protocol,
  MAX_ENC_KEY_LENGTH,
  MAX_HMAC_KEY_LENGTH,
  parseCidr,
  SERVICE_NAME_PATTERN,
} from '@spa/shared';
import { formatDuration } from '../config/duration.js';
import { NAME_PATTERN } from '../config/sections.js';
import { ACCESS_VARIABLES, type AccessEntry, SECRET_VARIABLES } from './access-conf.js';

/** A stanza ready to plan: its entries already include those of its %include_keys files. */
export interface NumberedStanza {
  /** 1-based, in import order across included files. */
  readonly number: number;
  readonly file: string;
  readonly line: number;
  readonly source: string;
  readonly entries: readonly AccessEntry[];
}

/** Why an imported client must name its address unless its stanza says otherwise (docs/fwknop.md). */
export const LITERAL_BY_DEFAULT_WHY =
  'fwknop packets are not bound to a server, so a packet sent to another server with the same keys ' +
  'could be replayed here; with a literal address (fwknop -a ADDRESS, not -s/-R) a replay opens ' +
  'only the address the client named. Set REQUIRE_SOURCE_ADDRESS N in the stanza to allow source mode';

export interface Carried {
  readonly fwknop: string;
  /** What it became, e.g. `services = ["ssh"]`. */
  readonly spa: string;
}

export interface NotCarried {
  readonly fwknop: string;
  /** The value, safe to print: secrets are "(set)". */
  readonly value: string;
  readonly why: string;
  readonly line?: number;
}

export interface Refusal {
  readonly why: string;
  readonly fix: string;
}

export interface NewService {
  readonly name: string;
  /** "22/tcp" */
  readonly spec: string;
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

export interface PlanContext {
  /** [services] as name → "PORT/PROTO" spec parts. */
  readonly services: ReadonlyMap<string, { readonly port: number; readonly protocol: L4Protocol }>;
  /** Names taken by [clients.NAME]. */
  readonly clientNames: ReadonlySet<string>;
  readonly fwknopClients: readonly ExistingFwknopClient[];
  /** Ports no service may use (knock ports, sequence range, fwknop port), with what they are. */
  readonly reservedPorts: readonly { readonly range: readonly [number, number]; readonly what: string }[];
  /** `--services`: for stanzas without OPEN_PORTS. */
  readonly defaultServices?: readonly string[];
  /** `--prefix`: names become PREFIX-USERNAME or PREFIX-N. */
  readonly prefix?: string;
  /** [policy]: it caps every grant, and is the default for require_literal_address. */
  readonly policy: { readonly maxDurationSeconds: number; readonly requireLiteralAddress: boolean };
  readonly nowMs: number;
}

const GPG_FIX =
  "give the client Rijndael keys: fwknop --key-gen, put KEY_BASE64 and HMAC_KEY_BASE64 in this stanza and in the client's ~/.fwknoprc (fwknop --use-hmac), then import again";
const HMAC_FIX =
  'make an HMAC key (fwknop --key-gen prints KEY_BASE64 and HMAC_KEY_BASE64), add HMAC_KEY_BASE64 to this stanza, have the client send with --use-hmac (HMAC_KEY_BASE64 in its ~/.fwknoprc), then import again';
const KEYGEN_FIX =
  "make keys with fwknop --key-gen, put KEY_BASE64 and HMAC_KEY_BASE64 in this stanza and in the client's ~/.fwknoprc (it sends with --use-hmac), then import again";
const PLACEHOLDER = '__CHANGEME__';
const NAT_WHY = 'NAT is not supported: spa only opens ports on this host';
const CMD_WHY = 'spa refuses command requests (and logs them); it never runs commands';
const GPG_WHY = "GPG is not supported: spa accepts only this client's Rijndael + HMAC packets";

/** Well-known names for new services; anything else is PROTO+PORT ("tcp8080"). */
const WELL_KNOWN: Record<string, string> = {
  'tcp/22': 'ssh',
  'tcp/80': 'http',
  'tcp/443': 'https',
  'udp/53': 'dns',
  'udp/1194': 'openvpn',
  'tcp/3389': 'rdp',
};

/** Variables that set the same thing in fwknopd: the last line of the group wins. */
const SLOTS: Record<string, string> = {
  KEY: 'key',
  KEY_BASE64: 'key',
  HMAC_KEY: 'hmac',
  HMAC_KEY_BASE64: 'hmac',
  ACCESS_EXPIRE: 'expire',
  ACCESS_EXPIRE_EPOCH: 'expire',
  REQUIRE_SOURCE_ADDRESS: 'require-source',
  REQUIRE_SOURCE: 'require-source',
};

/** How a value may be printed: secrets never, other values cut short and without control characters. */
export function shownValue(key: string, value: string): string {
  if (SECRET_VARIABLES.includes(key)) return '(set)';
  // A misspelt secret variable ("HMAC_KEY_BASE46") is still a secret.
  if (!ACCESS_VARIABLES.includes(key) && /KEY|PW|PASS|SECRET/i.test(key)) return '(set)';
  const clean = value.replace(/[\p{Cc}\p{Cf}]/gu, '?');
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

/** The loader's bound on require_username. */
const MAX_USERNAME = 64;

/** The key bytes a KEY / KEY_BASE64 (or key / key_base64) value stands for. */
export function keyBytes(value: string, base64: boolean): Uint8Array | undefined {
  return base64 ? fromBase64(value) : new Uint8Array(Buffer.from(value, 'utf8'));
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

function yes(value: string): boolean {
  return /^y/i.test(value); // fwknopd: a value starting with Y (any case) is yes
}

function seconds(value: string): number | undefined {
  return /^[0-9]{1,9}$/.test(value) ? Number(value) : undefined;
}

function isoDate(y: number, m: number, d: number): string | undefined {
  const t = Date.UTC(y, m - 1, d);
  const text = new Date(t).toISOString().slice(0, 10);
  return text === `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
    ? text
    : undefined;
}

interface Port {
  readonly protocol: L4Protocol;
  readonly port: number;
  readonly text: string;
}

/** "tcp/22, udp/53" → ports; the first bad item is returned as a string. */
function parsePorts(value: string): Port[] | string {
  const out: Port[] = [];
  for (const item of value.split(',')) {
    const text = item.trim();
    const m = /^(tcp|udp)\/([0-9]{1,5})$/i.exec(text);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) return text;
    if (!out.some((p) => p.protocol === m[1]!.toLowerCase() && p.port === port))
      out.push({ protocol: m[1]!.toLowerCase() as L4Protocol, port, text: `${m[1]!.toLowerCase()}/${port}` });
  }
  return out;
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

export function planStanza(stanza: NumberedStanza, ctx: PlanContext, taken: ReadonlySet<string>): StanzaPlan {
  const carried: Carried[] = [];
  const notCarried: NotCarried[] = [];
  const refused: Refusal[] = [];
  const table: Record<string, unknown> = {};
  const newServices: NewService[] = [];
  const refuse = (why: string, fix: string): void => {
    refused.push({ why, fix });
  };
  const skip = (e: AccessEntry, why: string): void => {
    notCarried.push({ fwknop: e.key, value: shownValue(e.key, e.value), why, line: e.line });
  };

  // fwknopd keeps the last line of a variable (or of a group like KEY/KEY_BASE64).
  const last = new Map<string, AccessEntry>();
  for (const e of stanza.entries) last.set(SLOTS[e.key] ?? e.key, e);
  const effective = stanza.entries.filter((e) => {
    const winner = last.get(SLOTS[e.key] ?? e.key)!;
    if (winner !== e)
      skip(e, `overridden by ${winner.key} on line ${winner.line} (fwknopd uses the last one)`);
    return winner === e;
  });
  const get = (k: string): AccessEntry | undefined => effective.find((e) => e.key === k);

  // SOURCE → allowed_sources
  const sources = stanza.source
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (sources.some((s) => s.toUpperCase() === 'ANY')) {
    table.allowed_sources = [];
    carried.push({
      fwknop: `SOURCE ${shownValue('SOURCE', stanza.source)}`,
      spa: 'allowed_sources = [] (anywhere)',
    });
  } else {
    const bad = sources.find((s) => !parseCidr(s));
    if (bad !== undefined || sources.length === 0) {
      refuse(
        `SOURCE "${shownValue('SOURCE', bad ?? stanza.source)}" is not an address or network`,
        'write addresses or CIDR networks separated by commas, e.g. SOURCE 192.0.2.0/24, 198.51.100.7, or ANY',
      );
    } else {
      table.allowed_sources = sources;
      carried.push({
        fwknop: `SOURCE ${stanza.source}`,
        spa: `allowed_sources = ${JSON.stringify(sources)}`,
      });
    }
  }

  // Keys. GPG settings never carry; a stanza with GPG and no Rijndael key is refused.
  const key = get('KEY') ?? get('KEY_BASE64');
  const hmac = get('HMAC_KEY') ?? get('HMAC_KEY_BASE64');
  const gpg = effective.filter((e) => e.key.startsWith('GPG_'));
  if (!key) {
    if (gpg.length > 0) {
      refuse('GPG-only stanza (GPG_* and no KEY or KEY_BASE64): GPG is not supported', GPG_FIX);
    } else {
      refuse('no KEY or KEY_BASE64: the stanza has no Rijndael key', GPG_FIX);
    }
  } else if (key.value.toUpperCase() === PLACEHOLDER) {
    refuse(`${key.key} is still ${PLACEHOLDER} (fwknopd refuses it too)`, KEYGEN_FIX);
  } else if (key.key === 'KEY_BASE64' && !fromBase64(key.value)) {
    refuse('KEY_BASE64 is not base64', 'copy it again from fwknop --key-gen output');
  } else if (keyBytes(key.value, key.key === 'KEY_BASE64')!.length > MAX_ENC_KEY_LENGTH) {
    refuse(`${key.key} is longer than ${MAX_ENC_KEY_LENGTH} bytes (fwknop's Rijndael key limit)`, KEYGEN_FIX);
  } else {
    const spaKey = key.key === 'KEY' ? 'key' : 'key_base64';
    table[spaKey] = key.value;
    carried.push({ fwknop: key.key, spa: `${spaKey} (set)` });
  }
  for (const e of gpg) if (key) skip(e, GPG_WHY);
  if (!hmac) {
    refuse('no HMAC key: spa requires HMAC_KEY or HMAC_KEY_BASE64 (fwknopd does not)', HMAC_FIX);
  } else if (hmac.value.toUpperCase() === PLACEHOLDER) {
    refuse(`${hmac.key} is still ${PLACEHOLDER} (fwknopd refuses it too)`, KEYGEN_FIX);
  } else if (hmac.key === 'HMAC_KEY_BASE64' && !fromBase64(hmac.value)) {
    refuse('HMAC_KEY_BASE64 is not base64', 'copy it again from fwknop --key-gen output');
  } else if (keyBytes(hmac.value, hmac.key === 'HMAC_KEY_BASE64')!.length > MAX_HMAC_KEY_LENGTH) {
    refuse(`${hmac.key} is longer than ${MAX_HMAC_KEY_LENGTH} bytes (fwknop's HMAC key limit)`, KEYGEN_FIX);
  } else {
    const spaKey = hmac.key === 'HMAC_KEY' ? 'hmac_key' : 'hmac_key_base64';
    table[spaKey] = hmac.value;
    carried.push({ fwknop: hmac.key, spa: `${spaKey} (set)` });
  }

  const digest = get('HMAC_DIGEST_TYPE');
  if (digest) {
    const d = digest.value.toLowerCase();
    if ((FWKNOP_DIGESTS as readonly string[]).includes(d)) {
      table.hmac_digest = d;
      carried.push({ fwknop: `HMAC_DIGEST_TYPE ${digest.value}`, spa: `hmac_digest = "${d}"` });
    } else {
      const why = ['md5', 'sha1'].includes(d)
        ? `HMAC_DIGEST_TYPE ${d.toUpperCase()} is too weak; spa accepts SHA256, SHA384 or SHA512`
        : `HMAC_DIGEST_TYPE ${shownValue('HMAC_DIGEST_TYPE', digest.value)} is not supported; spa accepts SHA256, SHA384 or SHA512`;
      refuse(
        why,
        'set HMAC_DIGEST_TYPE SHA256 here and send with fwknop --hmac-digest-type=sha256 (HMAC_DIGEST_TYPE in ~/.fwknoprc)',
      );
    }
  }

  const mode = get('ENCRYPTION_MODE');
  if (mode) {
    if (mode.value.toUpperCase() === 'CBC') {
      carried.push({ fwknop: 'ENCRYPTION_MODE CBC', spa: '(nothing to write: CBC is the only mode)' });
    } else if (mode.value.toLowerCase() === 'legacy') {
      refuse(
        'ENCRYPTION_MODE legacy (the pre-2.5 key derivation) is not supported',
        'upgrade the client to fwknop 2.5 or later, send without -M legacy, and remove ENCRYPTION_MODE',
      );
    } else {
      refuse(
        `ENCRYPTION_MODE ${shownValue('ENCRYPTION_MODE', mode.value)} is not supported; spa accepts CBC only`,
        'send with the default mode (no -M / ENCRYPTION_MODE on the client) and remove ENCRYPTION_MODE',
      );
    }
  }

  // Services.
  const open = get('OPEN_PORTS');
  const restrict = get('RESTRICT_PORTS');
  const restricted = restrict ? parsePorts(restrict.value) : [];
  if (restrict) {
    if (typeof restricted === 'string') {
      refuse(
        `RESTRICT_PORTS item "${shownValue('RESTRICT_PORTS', restricted)}" is not PROTO/PORT`,
        'write e.g. RESTRICT_PORTS tcp/25, udp/161',
      );
    } else {
      skip(restrict, 'spa opens only the listed services anyway (restricted ports among them are dropped)');
    }
  }
  const isRestricted = (p: { protocol: string; port: number }): boolean =>
    Array.isArray(restricted) && restricted.some((r) => r.protocol === p.protocol && r.port === p.port);
  const serviceNames: string[] = [];
  if (open) {
    const ports = parsePorts(open.value);
    if (typeof ports === 'string') {
      refuse(
        `OPEN_PORTS item "${shownValue('OPEN_PORTS', ports)}" is not PROTO/PORT`,
        'write e.g. OPEN_PORTS tcp/22, udp/53',
      );
    } else {
      const reserved = new Set<string>();
      for (const p of ports) {
        if (isRestricted(p)) {
          notCarried.push({
            fwknop: 'OPEN_PORTS',
            value: p.text,
            why: 'also in RESTRICT_PORTS, so fwknopd never opens it',
            line: open.line,
          });
          continue;
        }
        const clash = ctx.reservedPorts.find((r) => p.port >= r.range[0] && p.port <= r.range[1]);
        if (clash) {
          notCarried.push({
            fwknop: 'OPEN_PORTS',
            value: p.text,
            why: `port ${p.port} is inside ${clash.what}: spa cannot guard it there`,
            line: open.line,
          });
          continue;
        }
        const existing = [...ctx.services].find(([, s]) => s.port === p.port && s.protocol === p.protocol);
        if (existing) {
          serviceNames.push(existing[0]);
          continue;
        }
        const takenService = (n: string): boolean => ctx.services.has(n) || reserved.has(n);
        const wk = WELL_KNOWN[p.text];
        let name = wk && !takenService(wk) ? wk : `${p.protocol}${p.port}`;
        for (let i = 2; takenService(name); i++) name = `${p.protocol}${p.port}-${i}`;
        if (!SERVICE_NAME_PATTERN.test(name)) throw new Error(`service name ${name}`); // cannot happen: proto+digits
        reserved.add(name);
        newServices.push({ name, spec: `${p.port}/${p.protocol}` });
        serviceNames.push(name);
      }
      if (serviceNames.length > 0) {
        const created = newServices.map((s) => `${s.name} = "${s.spec}"`);
        carried.push({
          fwknop: `OPEN_PORTS ${open.value}`,
          spa: `services = ${JSON.stringify(serviceNames)}${created.length ? ` (new in [services]: ${created.join(', ')})` : ''}`,
        });
      } else if (ports.length > 0) {
        refuse(
          'none of the OPEN_PORTS can be opened by spa (see above)',
          'change OPEN_PORTS, or move the knock ports in the spa config',
        );
      }
    }
  } else if (ctx.defaultServices && ctx.defaultServices.length > 0) {
    for (const s of ctx.defaultServices) {
      const def = ctx.services.get(s);
      if (def && isRestricted(def))
        notCarried.push({
          fwknop: 'RESTRICT_PORTS',
          value: `${def.protocol}/${def.port}`,
          why: `--services ${s} is restricted here, so it is left out`,
        });
      else serviceNames.push(s);
    }
    if (serviceNames.length > 0) {
      carried.push({
        fwknop: 'OPEN_PORTS (not set)',
        spa: `services = ${JSON.stringify(serviceNames)} (from --services)`,
      });
    } else {
      refuse(
        'every --services entry is in RESTRICT_PORTS',
        'give other services with --services, or add OPEN_PORTS',
      );
    }
  } else {
    refuse(
      'no OPEN_PORTS: fwknopd opens any port the client asks for, spa opens only listed services',
      'add e.g. OPEN_PORTS tcp/22 to the stanza, or run again with --services ssh (names from [services])',
    );
  }
  if (serviceNames.length > 0) table.services = [...new Set(serviceNames)];

  // Expiry.
  const expire = get('ACCESS_EXPIRE') ?? get('ACCESS_EXPIRE_EPOCH');
  if (expire) {
    let value: string | undefined;
    let ms = 0;
    if (expire.key === 'ACCESS_EXPIRE') {
      const m = /^([0-9]{1,2})\/([0-9]{1,2})\/([0-9]{1,4})$/.exec(expire.value);
      if (m) {
        let year = Number(m[3]);
        if (year < 100) year += 2000; // fwknopd reads a short year as 20YY
        value = isoDate(year, Number(m[1]), Number(m[2]));
        ms = value ? Date.parse(`${value}T00:00:00Z`) : 0;
      }
    } else {
      const s = /^[0-9]{1,11}$/.test(expire.value) ? Number(expire.value) : undefined;
      if (s !== undefined) {
        ms = s * 1000;
        value = new Date(ms).toISOString().replace('.000Z', 'Z');
      }
    }
    if (value === undefined) {
      refuse(
        `${expire.key} "${shownValue(expire.key, expire.value)}" is not a ${expire.key === 'ACCESS_EXPIRE' ? 'MM/DD/YYYY date' : 'number of seconds since 1970'}`,
        'fix the date (fwknopd refuses it too), or remove it',
      );
    } else {
      table.expires = value;
      const past = ms <= ctx.nowMs ? '; already past: the client is refused until you change it' : '';
      const zone = expire.key === 'ACCESS_EXPIRE' ? " (00:00 UTC; fwknopd used the server's local time)" : '';
      carried.push({ fwknop: `${expire.key} ${expire.value}`, spa: `expires = ${value}${zone}${past}` });
    }
  }

  // Durations.
  const timeout = get('FW_ACCESS_TIMEOUT');
  const maxTimeout = get('MAX_FW_TIMEOUT');
  const tSec = timeout ? seconds(timeout.value) : undefined;
  const mSec = maxTimeout ? seconds(maxTimeout.value) : undefined;
  const inRange = (s: number | undefined): s is number =>
    s !== undefined && s >= 1 && s <= DURATION_MAX_SECONDS;
  if (maxTimeout) {
    if (inRange(mSec)) {
      table.max_duration = formatDuration(mSec * 1000);
      const capped =
        mSec > ctx.policy.maxDurationSeconds
          ? ` (grants are still capped by [policy] max_duration ${formatDuration(ctx.policy.maxDurationSeconds * 1000)})`
          : '';
      carried.push({
        fwknop: `MAX_FW_TIMEOUT ${maxTimeout.value}`,
        spa: `max_duration = "${table.max_duration}"${capped}`,
      });
    } else {
      skip(
        maxTimeout,
        `not a number of seconds from 1 to ${DURATION_MAX_SECONDS}; [policy] max_duration applies`,
      );
    }
  }
  if (timeout) {
    const cap = Math.min(inRange(mSec) ? mSec : ctx.policy.maxDurationSeconds, ctx.policy.maxDurationSeconds);
    if (!inRange(tSec)) {
      skip(
        timeout,
        `not a number of seconds from 1 to ${DURATION_MAX_SECONDS}; [policy] default_duration applies`,
      );
    } else if (tSec > cap) {
      skip(
        timeout,
        `longer than the longest grant here (${cap}s: MAX_FW_TIMEOUT and [policy] max_duration); [policy] default_duration applies`,
      );
    } else {
      table.default_duration = formatDuration(tSec * 1000);
      carried.push({
        fwknop: `FW_ACCESS_TIMEOUT ${timeout.value}`,
        spa: `default_duration = "${table.default_duration}"`,
      });
    }
  }

  // Per-client checks.
  const requireSource = get('REQUIRE_SOURCE_ADDRESS') ?? get('REQUIRE_SOURCE');
  if (requireSource && yes(requireSource.value)) {
    table.require_literal_address = true;
    carried.push({
      fwknop: `${requireSource.key} ${requireSource.value}`,
      spa: 'require_literal_address = true',
    });
  } else if (requireSource) {
    // Writing false would loosen a stricter [policy]; leaving it out inherits [policy].
    carried.push({
      fwknop: `${requireSource.key} ${requireSource.value}`,
      spa: `(not written: [policy] require_literal_address applies, now ${ctx.policy.requireLiteralAddress})`,
    });
  } else {
    // fwknop packets name no server: one sniffed on its way to another server that shares
    // these keys can be replayed here, and in source mode (fwknop -s / -R) it would open for
    // whoever replays it. A literal address opens only the address the client put in the
    // packet. The stanza can keep source mode with REQUIRE_SOURCE_ADDRESS N.
    table.require_literal_address = true;
    carried.push({
      fwknop: '(REQUIRE_SOURCE_ADDRESS not set)',
      spa: `require_literal_address = true: ${LITERAL_BY_DEFAULT_WHY}`,
    });
  }
  const rawUser = get('REQUIRE_USERNAME');
  const user = rawUser && rawUser.value.length <= MAX_USERNAME ? rawUser : undefined;
  if (rawUser && !user) skip(rawUser, `longer than ${MAX_USERNAME} characters (spa's limit)`);
  if (user) {
    table.require_username = user.value;
    carried.push({
      fwknop: `REQUIRE_USERNAME ${shownValue('REQUIRE_USERNAME', user.value)}`,
      spa: `require_username = ${JSON.stringify(user.value)}`,
    });
  }

  // Everything else.
  const handled = new Set([
    'KEY',
    'KEY_BASE64',
    'HMAC_KEY',
    'HMAC_KEY_BASE64',
    'HMAC_DIGEST_TYPE',
    'ENCRYPTION_MODE',
    'OPEN_PORTS',
    'RESTRICT_PORTS',
    'ACCESS_EXPIRE',
    'ACCESS_EXPIRE_EPOCH',
    'FW_ACCESS_TIMEOUT',
    'MAX_FW_TIMEOUT',
    'REQUIRE_SOURCE_ADDRESS',
    'REQUIRE_SOURCE',
    'REQUIRE_USERNAME',
  ]);
  for (const e of effective) {
    if (handled.has(e.key) || e.key.startsWith('GPG_')) continue;
    if (e.key === 'FORCE_NAT' || (e.key === 'FORWARD_ALL' && yes(e.value))) {
      // Importing would open this host's port where fwknopd forwarded to another one.
      refuse(
        `${e.key} ${shownValue(e.key, e.value)}: ${NAT_WHY}; importing would open this host's ports instead`,
        "leave this client on fwknopd, or remove the NAT settings if opening this host's ports is what you want",
      );
    } else if (['FORCE_SNAT', 'FORCE_MASQUERADE', 'DISABLE_DNAT', 'FORWARD_ALL'].includes(e.key)) {
      skip(e, NAT_WHY);
    } else if (e.key === 'DESTINATION') {
      skip(e, 'spa does not match the destination address; it takes packets on the [server] interfaces');
    } else if (
      e.key === 'ENABLE_CMD_EXEC' ||
      e.key === 'ENABLE_CMD_SUDO_EXEC' ||
      e.key.startsWith('CMD_') ||
      e.key === 'SUDO_EXE'
    ) {
      skip(e, CMD_WHY);
    } else if (e.key === 'SOURCE') {
      // cannot happen: SOURCE starts the stanza
    } else {
      const near = ACCESS_VARIABLES.find((v) => v === e.key.toUpperCase());
      skip(
        e,
        near
          ? `unknown variable (fwknopd matches names exactly; did you mean ${near}?)`
          : 'unknown variable: fwknopd ignores it too; check the spelling',
      );
    }
  }

  // A re-run: same keys as a client that exists already.
  const enc = key ? keyBytes(key.value, key.key === 'KEY_BASE64') : undefined;
  const mac = hmac ? keyBytes(hmac.value, hmac.key === 'HMAC_KEY_BASE64') : undefined;
  const twin = ctx.fwknopClients.find(
    (c) => !c.thisImport && sameBytes(c.encKey, enc) && sameBytes(c.hmacKey, mac),
  );

  // Name.
  let name: string | undefined;
  const prefixed = (s: string): string => (ctx.prefix ? `${ctx.prefix}-${s}` : s);
  if (user && NAME_PATTERN.test(prefixed(user.value)) && !taken.has(prefixed(user.value))) {
    name = prefixed(user.value);
  } else {
    name = uniqueName(`${ctx.prefix ?? 'fwknop'}-${stanza.number}`, taken);
  }
  if (twin && refused.length === 0) {
    return {
      stanza,
      name: twin.name,
      table,
      newServices: [],
      carried,
      notCarried,
      refused,
      alreadyAs: twin.name,
    };
  }
  if (twin === undefined && enc && mac) {
    // Same keys inside one file cannot be told apart by spa (it finds the client by its keys).
    const sameEnc = ctx.fwknopClients.find((c) => sameBytes(c.encKey, enc) || sameBytes(c.hmacKey, mac));
    if (sameEnc) {
      refuse(
        `same KEY or HMAC key as fwknop client ${sameEnc.name}: spa tells fwknop clients apart by their keys`,
        `give this client its own keys (fwknop --key-gen), or merge this SOURCE into the stanza of ${sameEnc.name}`,
      );
    }
  }
  if (refused.length > 0)
    return { stanza, name: undefined, table: {}, newServices: [], carried, notCarried, refused };
  return { stanza, name, table: ordered(table), newServices, carried, notCarried, refused };
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
