/**
 * Readers for the scalar sections: [server], [knock], [sequence], [policy], [firewall].
 * Each returns its part of ServerConfig; cross-section checks live in parse.ts.
 */
import {
  type Cidr,
  DURATION_MAX_SECONDS,
  decodeSecret,
  decodeServerId,
  type KnockPortMode,
  PROFILE_HOST_PATTERN,
  PROFILE_NAME_PATTERN,
  parseCidr,
  SEQUENCE_LENGTH_MAX,
  type SequenceSpec,
  SpaError,
  type TimeWindow,
} from '@spa/shared';
import { type Fields, keyText } from './fields.js';
import {
  COMMAND_PLACEHOLDERS,
  COMMAND_TEMPLATES,
  DEFAULTS,
  FIREWALL_BACKENDS,
  LOG_LEVELS,
  sectionKeys,
} from './schema.js';
import type { FirewallConfig, PolicyConfig, ServerConfig } from './types.js';

/** Same rules as client profiles (shared profile.ts), so every name fits in one. */
// Names and hosts end up in client profiles: the profile's own rules apply.
export const NAME_PATTERN = PROFILE_NAME_PATTERN;
const HOST_PATTERN = PROFILE_HOST_PATTERN;
/** Linux IFNAMSIZ is 16 including the NUL. */
const INTERFACE_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;
/** Valid as an nft table, ipset set and iptables chain name (firewall/check.ts). */
const TABLE_PATTERN = /^[a-z][a-z0-9_]{0,19}$/;

function secret(f: Fields, k: string, kind: 'client' | 'server'): Uint8Array {
  const text = f.string(k) ?? '';
  try {
    return decodeSecret(kind, text, 'key');
  } catch (e) {
    if (!(e instanceof SpaError)) throw e;
    const problem = e.message.replace(/^key: /, '');
    const how =
      kind === 'server'
        ? 'copy it again from where it was generated, or make a new one with `spa-server init --force` (clients then need new profiles)'
        : 'copy it again, or remove the client and add it again with `spa-server add-client`';
    return f.fail(k, problem, how);
  }
}

export function readCidrs(f: Fields, k: string): readonly Cidr[] {
  return f.stringArray(k, []).map((text, i) => {
    const c = parseCidr(text.trim());
    if (!c)
      f.failItem(k, i, `"${text}" is not an address or CIDR`, 'write e.g. "192.0.2.0/24" or "2001:db8::/32"');
    return c;
  });
}

type ServerPart = Pick<
  ServerConfig,
  'serverName' | 'advertiseHost' | 'interfaces' | 'stateDir' | 'serverId' | 'serverSecret' | 'logLevel'
>;

export function readServer(f: Fields): ServerPart {
  const serverName = f.required('name', (k) => f.string(k), 'the server name', '"web1"');
  if (!NAME_PATTERN.test(serverName)) {
    f.fail('name', `"${serverName}" is not a valid name`, 'use up to 63 letters, digits, ".", "_" or "-"');
  }
  const advertiseHost = f.required('host', (k) => f.string(k), 'the host clients connect to', '"192.0.2.1"');
  if (!HOST_PATTERN.test(advertiseHost)) {
    f.fail(
      'host',
      `"${advertiseHost}" is not a host name or address`,
      'write e.g. "192.0.2.1" or "web1.example.org"',
    );
  }
  const interfaces = f.required(
    'interfaces',
    (k) => f.stringArray(k, []),
    'the capture interfaces',
    '["eth0"]',
  );
  if (interfaces.length === 0)
    f.fail('interfaces', 'is empty', 'list at least one interface, e.g. ["eth0"] (see `ip link`)');
  interfaces.forEach((name, i) => {
    if (!INTERFACE_PATTERN.test(name) || name === '.' || name === '..') {
      f.failItem(
        'interfaces',
        i,
        `"${name}" is not an interface name`,
        'use a name from `ip link`, e.g. "eth0", or "any"',
      );
    }
    if (interfaces.indexOf(name) !== i)
      f.failItem('interfaces', i, `"${name}" is listed twice`, 'remove the duplicate');
  });
  if (interfaces.includes('any') && interfaces.length > 1) {
    f.fail(
      'interfaces',
      '"any" already captures on every interface',
      'use either ["any"] or a list of interfaces',
    );
  }
  const stateDir = f.string('state_dir') ?? DEFAULTS.stateDir;
  if (!stateDir.startsWith('/'))
    f.fail('state_dir', `"${stateDir}" is not an absolute path`, 'write e.g. "/var/lib/spa"');
  const idText = f.required('id', (k) => f.string(k), 'the server id', '"<32 hex digits>"');
  let serverId: Uint8Array;
  try {
    serverId = decodeServerId(idText, 'id');
  } catch {
    return f.fail(
      'id',
      'expected 32 hex digits',
      'copy it again, or make a new one with `spa-server init --force`',
    );
  }
  f.required('secret', (k) => f.string(k), 'the server secret', '"spas1..."');
  const serverSecret = secret(f, 'secret', 'server');
  const logLevel = f.oneOf('log_level', LOG_LEVELS, DEFAULTS.logLevel);
  return { serverName, advertiseHost, interfaces, stateDir, serverId, serverSecret, logLevel };
}

type KnockPart = Pick<ServerConfig, 'knock' | 'stepSeconds' | 'window'>;

export function readKnock(f: Fields | undefined): KnockPart {
  if (!f) {
    return {
      knock: { mode: 'rotating', range: DEFAULTS.knockRange },
      stepSeconds: DEFAULTS.stepSeconds,
      window: { maxPastMs: DEFAULTS.maxPastMs, maxFutureMs: DEFAULTS.maxFutureMs },
    };
  }
  if (f.has('port') && f.has('port_range')) {
    f.fail(
      'port',
      'both port and port_range are set',
      'keep one: port = N (fixed) or port_range = "LOW-HIGH" (rotating)',
    );
  }
  const knock: KnockPortMode = f.has('port')
    ? { mode: 'fixed', port: f.int('port', 1, 65535, 0) }
    : { mode: 'rotating', range: f.portRange('port_range', DEFAULTS.knockRange) };
  const stepSeconds = f.durationMs('step', DEFAULTS.stepSeconds * 1000, 1000, 3_600_000, true) / 1000;
  const window: TimeWindow = {
    maxPastMs: f.durationMs('max_past', DEFAULTS.maxPastMs, 0, 3_600_000, false),
    maxFutureMs: f.durationMs('max_future', DEFAULTS.maxFutureMs, 0, 3_600_000, false),
  };
  return { knock, stepSeconds, window };
}

export function readSequence(f: Fields | undefined): ServerConfig['sequence'] {
  const get = <T>(read: (f: Fields) => T, def: T): T => (f ? read(f) : def);
  const enabled = get((f) => f.bool('enabled', DEFAULTS.sequenceEnabled), DEFAULTS.sequenceEnabled);
  const length = get(
    (f) => f.int('length', 1, SEQUENCE_LENGTH_MAX, DEFAULTS.sequenceLength),
    DEFAULTS.sequenceLength,
  );
  const protocol = get(
    (f) => f.oneOf<SequenceSpec['protocol']>('protocol', ['tcp', 'udp', 'mixed'], DEFAULTS.sequenceProtocol),
    DEFAULTS.sequenceProtocol,
  );
  const range = get((f) => f.portRange('port_range', DEFAULTS.sequenceRange), DEFAULTS.sequenceRange);
  const gapMs = get(
    (f) => f.durationMs('gap', DEFAULTS.sequenceGapMs, 100, 600_000, false),
    DEFAULTS.sequenceGapMs,
  );
  const size = range[1] - range[0] + 1;
  // shared assertSequenceSpec: room for distinct ports and against guessing.
  if (f && size < length * 16) {
    f.fail(
      'port_range',
      `${range[0]}-${range[1]} holds ${size} ports; sequences of length ${length} need at least ${length * 16}`,
      'widen the range or shorten the sequence',
    );
  }
  return enabled ? { length, protocol, range, gapMs } : undefined;
}

export function readPolicy(f: Fields | undefined): PolicyConfig {
  const maxS = DURATION_MAX_SECONDS * 1000;
  const def = f
    ? f.durationMs('default_duration', DEFAULTS.defaultDurationSeconds * 1000, 1000, maxS, true)
    : 30_000;
  const max = f
    ? f.durationMs('max_duration', DEFAULTS.maxDurationSeconds * 1000, 1000, maxS, true)
    : 300_000;
  if (f && def > max) {
    f.fail(
      'default_duration',
      `${def / 1000}s is longer than max_duration (${max / 1000}s)`,
      'lower default_duration or raise max_duration',
    );
  }
  return {
    defaultDurationSeconds: def / 1000,
    maxDurationSeconds: max / 1000,
    requireLiteralAddress: f ? f.bool('require_literal_address', DEFAULTS.requireLiteralAddress) : false,
    allowedSources: f ? readCidrs(f, 'allowed_sources') : [],
    requireSshKey: f ? f.bool('require_ssh_key', false) : false,
  };
}

function template(f: Fields, k: string): readonly string[] | undefined {
  if (!f.has(k)) return undefined;
  const argv = f.stringArray(k, []);
  if (argv.length === 0 || argv[0] === '') {
    f.fail(
      k,
      'must be a non-empty argv array',
      `write e.g. ${keyText(k)} = ["/usr/local/bin/open-port", "{ip}", "{port}"]`,
    );
  }
  argv.forEach((arg, i) => {
    for (const m of arg.matchAll(/\{[^{}]*\}/g)) {
      if (!(COMMAND_PLACEHOLDERS as readonly string[]).includes(m[0])) {
        f.failItem(k, i, `unknown placeholder ${m[0]}`, `use only ${COMMAND_PLACEHOLDERS.join(' ')}`);
      }
    }
  });
  return argv;
}

export function readFirewall(f: Fields | undefined): FirewallConfig {
  if (!f)
    return { backend: DEFAULTS.firewallBackend, table: DEFAULTS.firewallTable, onStop: DEFAULTS.onStop };
  const backend = f.oneOf('backend', FIREWALL_BACKENDS, DEFAULTS.firewallBackend);
  const table = f.string('table') ?? DEFAULTS.firewallTable;
  if (!TABLE_PATTERN.test(table)) {
    f.fail(
      'table',
      `"${table}" is not a valid name`,
      'use 1-20 of: a lowercase letter, then a-z, 0-9 or "_"',
    );
  }
  const onStop = f.oneOf('on_stop', ['keep', 'remove'] as const, DEFAULTS.onStop);
  const outOfBand = f.string('out_of_band')?.trim();
  const c: Fields | undefined = f.sub('command', sectionKeys('firewall.command'));
  let command: FirewallConfig['command'];
  if (c) {
    const [grant, revoke, start, stop] = COMMAND_TEMPLATES.map((k) => template(c, k));
    if (!grant)
      return c.fail(
        'grant',
        'missing the grant command',
        'add: grant = ["/path/to/open", "{ip}", "{proto}", "{port}", "{seconds}"]',
      );
    command = {
      grant,
      ...(revoke ? { revoke } : {}),
      ...(start ? { start } : {}),
      ...(stop ? { stop } : {}),
    };
  }
  if (backend === 'command' && !command) {
    f.fail(
      'backend',
      'is "command" but [firewall.command] is missing',
      'add [firewall.command] with grant = [...]',
    );
  }
  return {
    backend,
    table,
    onStop,
    ...(outOfBand ? { outOfBand } : {}),
    ...(command ? { command } : {}),
  };
}
