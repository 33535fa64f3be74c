/**
 * `spa-server init`: a new config file with a fresh server id and secret, mode 0600, in a
 * directory created 0700 if needed. Refuses to replace an existing file without --force
 * (replacing it makes new secrets: every client then needs a new profile).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { dirname } from 'node:path';
import {
  DEFAULT_KNOCK_RANGE,
  DEFAULT_SEQUENCE_RANGE,
  encodeSecret,
  encodeServerId,
  PROFILE_NAME_PATTERN,
  parsePortSpec,
  SECRET_LENGTH,
  SERVER_ID_LENGTH,
  SERVICE_NAME_PATTERN,
} from '@spa/shared';
import type { Table } from '../config/index.js';
import {
  ConfigError,
  DEFAULTS,
  formatDuration,
  parseConfig,
  renderConfig,
  writeConfig,
} from '../config/index.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

export interface InitOptions {
  readonly configPath: string;
  readonly interfaces: readonly string[];
  /** `NAME=PORT/PROTO`, e.g. `ssh=22/tcp`. */
  readonly services: readonly string[];
  readonly name?: string;
  readonly host?: string;
  readonly firewall?: string;
  readonly stateDir?: string;
  readonly force?: boolean;
  /** Randomness source (tests); default node:crypto randomBytes. */
  readonly random?: (n: number) => Uint8Array;
}

function parseServices(specs: readonly string[]): Record<string, string> {
  if (specs.length === 0) throw new UsageError('no --service given', 'add e.g. --service ssh=22/tcp');
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const m = /^([^=]+)=(.+)$/.exec(spec.trim());
    const name = m?.[1]?.trim() ?? '';
    const port = m ? parsePortSpec(m[2]!) : undefined;
    if (!m || !port)
      throw new UsageError(`--service ${spec}: expected NAME=PORT/PROTO`, 'e.g. --service ssh=22/tcp');
    if (!SERVICE_NAME_PATTERN.test(name)) {
      throw new UsageError(
        `--service ${spec}: "${name}" is not a valid service name`,
        'use 1-32 of a-z 0-9 . _ -',
      );
    }
    if (out[name] !== undefined) throw new UsageError(`--service ${name} is given twice`);
    out[name] = `${port.port}/${port.protocol}`;
  }
  return out;
}

function defaultName(): string {
  const name = hostname().split('.')[0] ?? '';
  if (!PROFILE_NAME_PATTERN.test(name)) {
    throw new UsageError(`cannot use the host name "${name}" as the server name`, 'pass --name NAME');
  }
  return name;
}

/** The first address of the capture interface(s): IPv4 first, and loopback only for `lo`. */
function defaultHost(interfaces: readonly string[]): string {
  const all = networkInterfaces();
  const names = interfaces.includes('any') ? Object.keys(all) : interfaces;
  const addrs = names.flatMap((n) => (all[n] ?? []).filter((a) => !a.internal || interfaces.includes(n)));
  const pick = addrs.find((a) => a.family === 'IPv4') ?? addrs.find((a) => a.family === 'IPv6' && !a.scopeid);
  if (!pick) {
    throw new UsageError(
      `cannot tell which address clients should use (no address on ${interfaces.join(', ')})`,
      'pass --host ADDRESS-OR-NAME',
    );
  }
  return pick.address;
}

/**
 * Whether this network namespace has the interface, with or without an address
 * (networkInterfaces() lists only those with one). /proc/net/dev is the namespace of the
 * reading process, also under nsenter, where /sys/class/net may still show the host's.
 */
function interfaceExists(name: string): boolean {
  let dev: string;
  try {
    dev = readFileSync('/proc/net/dev', 'utf8');
  } catch {
    return Object.hasOwn(networkInterfaces(), name); // not Linux: only what has an address
  }
  return dev.split('\n').some((line) => line.split(':')[0]?.trim() === name);
}

export function initDocument(opts: InitOptions): Table {
  const random = opts.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const d = DEFAULTS;
  return {
    server: {
      name: opts.name ?? defaultName(),
      host: opts.host ?? defaultHost(opts.interfaces),
      interfaces: [...opts.interfaces],
      state_dir: opts.stateDir ?? d.stateDir,
      id: encodeServerId(random(SERVER_ID_LENGTH)),
      secret: encodeSecret('server', random(SECRET_LENGTH)),
      log_level: d.logLevel,
    },
    knock: {
      port_range: `${DEFAULT_KNOCK_RANGE[0]}-${DEFAULT_KNOCK_RANGE[1]}`,
      step: formatDuration(d.stepSeconds * 1000),
      max_past: formatDuration(d.maxPastMs),
      max_future: formatDuration(d.maxFutureMs),
    },
    sequence: {
      enabled: d.sequenceEnabled,
      length: d.sequenceLength,
      protocol: d.sequenceProtocol,
      port_range: `${DEFAULT_SEQUENCE_RANGE[0]}-${DEFAULT_SEQUENCE_RANGE[1]}`,
      gap: formatDuration(d.sequenceGapMs),
    },
    policy: {
      default_duration: formatDuration(d.defaultDurationSeconds * 1000),
      max_duration: formatDuration(d.maxDurationSeconds * 1000),
      require_literal_address: d.requireLiteralAddress,
      allowed_sources: [],
      require_ssh_key: false,
    },
    firewall: {
      backend: opts.firewall ?? d.firewallBackend,
      table: d.firewallTable,
      on_stop: d.onStop,
      out_of_band: '',
    },
    services: parseServices(opts.services),
  };
}

export function init(opts: InitOptions, io: Io): void {
  if (opts.interfaces.length === 0)
    throw new UsageError('no --interface given', 'add e.g. --interface eth0 (see `ip link`)');
  if (opts.firewall === 'command') {
    throw new UsageError(
      'init cannot write command templates',
      'init with another backend, then edit [firewall.command]',
    );
  }
  const missing = opts.interfaces.filter((n) => n !== 'any' && !interfaceExists(n));
  if (missing.length > 0) {
    throw new UsageError(
      `no such interface on this machine: ${missing.join(', ')}`,
      'list them with `ip -br link`; "any" captures on all',
    );
  }
  const text = renderConfig(initDocument(opts));
  try {
    parseConfig(text, opts.configPath);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new UsageError(`these settings would make an invalid config: ${e.key}: ${e.problem}`, e.hint);
  }
  mkdirSync(dirname(opts.configPath), { recursive: true, mode: 0o700 });
  writeConfig(opts.configPath, text, { overwrite: opts.force === true });
  io.out(`wrote ${opts.configPath} (mode 0600)`);
  io.err('next: spa-server add-client NAME   (prints the profile to give to that client)');
  io.err('then: spa-server check, and try the guard on trial (it removes itself unless a client');
  io.err('      knocks and connects within 2 min): spa-server run --trial 2m');
  io.err('last: once a client got in, stop the trial run and: systemctl enable --now spa-server');
}
