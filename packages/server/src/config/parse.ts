/**
 * TOML text → validated ServerConfig (pure: no file system). Checks each section, then
 * the rules that span sections: no service inside the knock ports or the sequence range,
 * and knock ports and sequence range apart, so a knock can never be mistaken for a
 * connection to a service (or for another kind of knock).
 */
import { inRange, type PortRange, rangesOverlap } from '@spa/shared';
import { parse, TomlError } from 'smol-toml';
import { readClients, readServices } from './clients.js';
import { ConfigError } from './errors.js';
import { Fields, keyText } from './fields.js';
import { readFwknop } from './fwknop.js';
import { sectionKeys } from './schema.js';
import { readFirewall, readKnock, readPolicy, readSequence, readServer } from './sections.js';
import type { ClientDef, ServerConfig } from './types.js';

const ROOT_KEYS = [
  'server',
  'knock',
  'sequence',
  'policy',
  'firewall',
  'services',
  'clients',
  'fwknop',
  'fwknop_clients',
  'metrics',
];

/** Parse TOML text, mapping syntax errors to ConfigError with line and column. */
export function parseToml(text: string, file: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    const what = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
    const line = excerpt(text, e.line);
    throw new ConfigError(
      'config-syntax',
      file,
      `line ${e.line}, column ${e.column}`,
      `invalid TOML: ${what}${line ? `, in: ${line}` : ''}`,
      'fix the syntax; see https://toml.io',
    );
  }
}

const EXCERPT_MAX = 100;
/** A key that holds a secret (spa's `secret`, fwknop's `key_base64`, `hmac_key`…). */
const SECRET_KEY = /secret|key|passw/i;
/** A run that may be an encoded key (base32/base64/hex), whatever the key it stands under. */
const KEY_LIKE = /[A-Za-z0-9+/_=-]{20,}/g;

/**
 * The offending line, shown so the admin sees the typo. Secrets never reach a message or a log:
 * the value of a secret-looking key, and any long key-like run, are replaced by [redacted].
 * Control characters are escaped (the line may be anything).
 */
export function excerpt(text: string, lineNo: number): string {
  const raw = text.split(/\r?\n/)[lineNo - 1];
  if (raw === undefined || raw.trim() === '') return '';
  let line = raw.trim();
  const eq = line.indexOf('=');
  if (eq > 0 && SECRET_KEY.test(line.slice(0, eq))) line = `${line.slice(0, eq).trimEnd()} = [redacted]`;
  line = line.replace(KEY_LIKE, '[redacted]');
  if (line.length > EXCERPT_MAX) line = `${line.slice(0, EXCERPT_MAX)}…`;
  return JSON.stringify(line);
}

function rangeText(r: PortRange): string {
  return `${r[0]}-${r[1]}`;
}

export function parseConfig(text: string, file: string): ServerConfig {
  const root: Fields = new Fields(file, '', parseToml(text, file), ROOT_KEYS);
  const serverFields = root.sub('server', sectionKeys('server'));
  if (!serverFields)
    root.fail('server', 'missing table [server]', 'create a complete file with `spa-server init`');
  const server = readServer(serverFields);
  const knockFields = root.sub('knock', sectionKeys('knock'));
  const knock = readKnock(knockFields);
  const seqFields = root.sub('sequence', sectionKeys('sequence'));
  const sequence = readSequence(seqFields);
  const policy = readPolicy(root.sub('policy', sectionKeys('policy')));
  const firewall = readFirewall(root.sub('firewall', [...sectionKeys('firewall'), 'command']));
  const servicesFields = root.sub('services', undefined);
  const services = readServices(servicesFields);
  const clients = readClients(root.sub('clients', undefined), services);
  const fwknopFields = root.sub('fwknop', sectionKeys('fwknop'));
  const fwknopClientsFields = root.sub('fwknop_clients', undefined);
  const fwknop = readFwknop(fwknopFields, fwknopClientsFields, services, policy);
  const metricsFields = root.sub('metrics', ['textfile']);
  const metricsTextfile = metricsFields?.string('textfile');
  if (metricsTextfile !== undefined && !metricsTextfile.startsWith('/'))
    metricsFields!.fail(
      'textfile',
      'expected an absolute path',
      'e.g. textfile = "/var/lib/prometheus/node-exporter/spa.prom"',
    );
  for (const name of fwknop.clients.keys()) {
    if (clients.has(name))
      fwknopClientsFields!.fail(
        name,
        `"${name}" is also a client under [clients]`,
        'names must be unique across [clients] and [fwknop_clients]: rename one',
      );
  }

  const knockRange: PortRange =
    knock.knock.mode === 'fixed' ? [knock.knock.port, knock.knock.port] : knock.knock.range;
  const knockWhere =
    knock.knock.mode === 'fixed'
      ? `the knock port ${knock.knock.port}`
      : `the knock port range ${rangeText(knockRange)}`;
  const knockKey = knock.knock.mode === 'fixed' ? 'knock.port' : 'knock.port_range';
  for (const s of services.values()) {
    const fail = (where: string, key: string): never =>
      servicesFields!.fail(s.name, `port ${s.port} is inside ${where}`, `pick another port, or move ${key}`);
    if (inRange(s.port, knockRange)) fail(knockWhere, knockKey);
    if (sequence && inRange(s.port, sequence.range)) {
      fail(`the sequence port range ${rangeText(sequence.range)}`, 'sequence.port_range');
    }
  }
  if (sequence && rangesOverlap(knockRange, sequence.range)) {
    const f = seqFields ?? knockFields!;
    f.fail(
      seqFields ? 'port_range' : knock.knock.mode === 'fixed' ? 'port' : 'port_range',
      `the sequence port range ${rangeText(sequence.range)} overlaps ${knockWhere}`,
      `move one of them ([knock] ${keyText(knockKey.slice(6))} or [sequence] port_range), or set [sequence] enabled = false`,
    );
  }

  if (fwknop.clients.size > 0 || fwknopFields) {
    const port = fwknop.port;
    const fail = (problem: string, hint: string): never =>
      fwknopFields ? fwknopFields.fail('port', problem, hint) : root.fail('fwknop', problem, hint);
    const movePort = 'set another [fwknop] port (and give the fwknop clients -p PORT)';
    if (inRange(port, knockRange)) fail(`the fwknop port ${port} is inside ${knockWhere}`, movePort);
    if (sequence && inRange(port, sequence.range))
      fail(
        `the fwknop port ${port} is inside the sequence port range ${rangeText(sequence.range)}`,
        movePort,
      );
    for (const s of services.values())
      if (s.protocol === 'udp' && s.port === port)
        fail(`the fwknop port ${port} is service ${s.name}`, movePort);
  }

  return {
    path: file,
    notices: twoFactorNotices(clients, sequence !== undefined, policy.requireSshKey === true),
    ...server,
    ...knock,
    sequence,
    policy,
    firewall,
    services,
    clients,
    fwknop,
    ...(metricsTextfile !== undefined ? { metricsTextfile } : {}),
  };
}

/**
 * What two-factor settings mean for the rest of the file: a client with an ssh_key cannot use
 * one-time sequences (they carry no signature), and require_ssh_key shuts out clients without one.
 */
function twoFactorNotices(
  clients: ReadonlyMap<string, ClientDef>,
  sequences: boolean,
  requireSshKey: boolean,
): string[] {
  const notices: string[] = [];
  if (requireSshKey && sequences)
    notices.push(
      '[policy] require_ssh_key: one-time sequences are refused for every client (they carry no signature)',
    );
  for (const c of clients.values()) {
    const at = `clients.${keyText(c.name)}`;
    if (c.sshKey && sequences && !requireSshKey)
      notices.push(
        `${at} has an ssh_key: its one-time sequences are refused (they carry no signature); it opens with \`spa-client open\``,
      );
    if (!c.sshKey && requireSshKey && !c.revoked)
      notices.push(
        `${at} has no ssh_key: with [policy] require_ssh_key every knock of it is refused (signature); give it an ssh_key line (its .pub) under [${at}]`,
      );
  }
  return notices;
}
