/**
 * Readers for [services] and [clients.NAME], and the lazily derived client keys.
 */
import {
  type ClientKeys,
  decodeSecret,
  deriveClientKeys,
  isSkType,
  parseAuthorizedKey,
  parsePortSpec,
  SERVICE_NAME_PATTERN,
  SpaError,
  type SshPublicKey,
} from '@spa/shared';
import { Fields, isTable, keyText, typeName } from './fields.js';
import { CLIENT_KEYS } from './schema.js';
import { NAME_PATTERN, readCidrs } from './sections.js';
import type { ClientDef, ClientStanding, ServiceDef } from './types.js';

export function readServices(f: Fields | undefined): Map<string, ServiceDef> {
  const services = new Map<string, ServiceDef>();
  if (!f) return services;
  for (const [name, spec] of Object.entries(f.table)) {
    if (!SERVICE_NAME_PATTERN.test(name)) {
      f.fail(
        name,
        `"${name}" is not a valid service name`,
        'use 1-32 of a-z 0-9 . _ - starting with a letter or digit',
      );
    }
    const parsed = typeof spec === 'string' ? parsePortSpec(spec) : undefined;
    if (!parsed)
      return f.fail(
        name,
        `expected "PORT/PROTO", got ${typeName(spec)}`,
        'write it like "22/tcp" or "53/udp"',
      );
    services.set(name, { name, ...parsed });
  }
  return services;
}

/**
 * Subkeys derived on first use, not at load: deriveClientKeys is four HKDFs (~0.1-0.2 ms per
 * client on a small VM), which would make a 10,000-client file take seconds to load.
 */
export class LazyClientKeys implements ClientKeys {
  readonly #secret: Uint8Array;
  #keys: ClientKeys | undefined;

  constructor(secret: Uint8Array) {
    this.#secret = secret;
  }

  #get(): ClientKeys {
    this.#keys ??= deriveClientKeys(this.#secret);
    return this.#keys;
  }

  get enc(): Uint8Array {
    return this.#get().enc;
  }

  get mac(): Uint8Array {
    return this.#get().mac;
  }

  get lookup(): Uint8Array {
    return this.#get().lookup;
  }

  get sequence(): Uint8Array {
    return this.#get().sequence;
  }

  /** Never serialise subkeys (JSON.stringify, loggers). */
  toJSON(): string {
    return '[client keys]';
  }
}

const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const DATE_TIME =
  /^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:[0-9]{2})?$/;

/**
 * Expiry as ms since the epoch: a date means 00:00 UTC of that day (the key works until the
 * day begins); a date-time without an offset is read as UTC. Undefined if not a date.
 */
export function parseExpiry(v: unknown): number | undefined {
  if (v instanceof Date) {
    const t = v.getTime();
    const isTimeOnly = 'isTime' in v && typeof v.isTime === 'function' && v.isTime() === true;
    return Number.isNaN(t) || isTimeOnly ? undefined : t;
  }
  if (typeof v !== 'string') return undefined;
  const text = v.trim();
  const d = DATE.exec(text);
  if (d) {
    const t = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    // Date.UTC rolls 2027-02-30 over to March: refuse dates that do not exist.
    return new Date(t).toISOString().slice(0, 10) === text ? t : undefined;
  }
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const t = Date.parse(m[3] ? text : `${text}Z`);
  return Number.isNaN(t) ? undefined : t;
}

export function readClients(
  f: Fields | undefined,
  services: ReadonlyMap<string, ServiceDef>,
): Map<string, ClientDef> {
  const clients = new Map<string, ClientDef>();
  if (!f) return clients;
  const byKey = new Map<string, string>();
  const known = CLIENT_KEYS.map((k) => k.key);
  for (const name of Object.keys(f.table)) {
    const c = clientFields(f, name, 'clients', known);
    const keyTextValue = c.required('key', (k) => c.string(k), 'the client key', '"spak1..."');
    let secret: Uint8Array;
    try {
      secret = decodeSecret('client', keyTextValue, 'key');
    } catch (e) {
      if (!(e instanceof SpaError)) throw e;
      return c.fail(
        'key',
        e.message.replace(/^key: /, ''),
        'copy it again, or remove the client and add it again with `spa-server add-client`',
      );
    }
    const canonical = keyTextValue.trim(); // the text form is canonical: equal texts, equal keys
    const twin = byKey.get(canonical);
    if (twin !== undefined) {
      c.fail(
        'key',
        `same key as clients.${keyText(twin)}`,
        'every client needs its own key: remove one and add-client it again',
      );
    }
    byKey.set(canonical, name);
    const standing = readStanding(c, name, services);
    const sshKey = readSshKey(c);
    const requireTouch = c.bool('require_touch', false);
    if (requireTouch && !(sshKey && isSkType(sshKey.type)))
      c.fail(
        'require_touch',
        sshKey ? `${sshKey.type} has no touch to require` : 'needs an ssh_key',
        'use it with an sk-ssh-ed25519@openssh.com or sk-ecdsa-sha2-nistp256@openssh.com key, or remove it',
      );
    clients.set(name, {
      ...standing,
      secret,
      keys: new LazyClientKeys(secret),
      ...(sshKey ? { sshKey, requireTouch } : {}),
    });
  }
  return clients;
}

/** `ssh_key = "ssh-ed25519 AAAA… comment"`: one of the four types a knock can carry. */
function readSshKey(c: Fields): SshPublicKey | undefined {
  if (!c.has('ssh_key')) return undefined;
  const text = c.string('ssh_key') ?? '';
  const parsed = parseAuthorizedKey(text);
  if (parsed.ok) return parsed.key;
  return c.fail(
    'ssh_key',
    parsed.detail,
    parsed.problem === 'rsa' || parsed.problem === 'type'
      ? 'make an ed25519 key (`ssh-keygen -t ed25519`, or `-t ed25519-sk` for a security key) and use its .pub line'
      : 'paste one line of the .pub file: "ssh-ed25519 AAAA… comment"',
  );
}

/** One `[section.NAME]` table: a valid name and a table, read with the keys `known`. */
export function clientFields(f: Fields, name: string, section: string, known: readonly string[]): Fields {
  if (!NAME_PATTERN.test(name)) {
    f.fail(name, `"${name}" is not a valid client name`, 'use up to 63 letters, digits, ".", "_" or "-"');
  }
  const value = f.table[name];
  if (!isTable(value))
    return f.fail(
      name,
      `expected a table, got ${typeName(value)}`,
      `write it as [${section}.${keyText(name)}]`,
    );
  return new Fields(f.file, f.at(name), value, known);
}

/**
 * What every kind of client has ([clients.NAME], [fwknop_clients.NAME]): its services
 * (which must exist), expiry, revocation and allowed source networks.
 */
export function readStanding(
  c: Fields,
  name: string,
  services: ReadonlyMap<string, ServiceDef>,
): ClientStanding {
  const names = c.required(
    'services',
    (k) => c.stringArray(k, []),
    'the services this client may open',
    '["ssh"]',
  );
  if (names.length === 0) c.fail('services', 'is empty', 'list at least one service from [services]');
  names.forEach((s, i) => {
    if (!services.has(s))
      c.failItem('services', i, `unknown service "${s}"`, 'define it under [services] or remove it');
    if (names.indexOf(s) !== i) c.failItem('services', i, `"${s}" is listed twice`, 'remove the duplicate');
  });
  let expiresAtMs: number | undefined;
  if (c.has('expires')) {
    expiresAtMs = parseExpiry(c.table.expires);
    if (expiresAtMs === undefined) {
      c.fail(
        'expires',
        `expected a date, got ${typeName(c.table.expires)}`,
        'write "2027-06-30" or "2027-06-30T12:00:00Z"',
      );
    }
  }
  return {
    name,
    services: names,
    expiresAtMs,
    revoked: c.bool('revoked', false),
    allowedSources: readCidrs(c, 'allowed_sources'),
  };
}
