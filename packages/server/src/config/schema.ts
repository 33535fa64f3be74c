/**
 * The TOML file format: its sections, keys, defaults and the comments `init` writes.
 * The validator (parse.ts) refuses keys not listed here, so a typo is an error rather than
 * a silently ignored setting; the renderer (render.ts) writes keys in this order with
 * these comments.
 */
import {
  DEFAULT_FWKNOP_PORT,
  DEFAULT_KNOCK_RANGE,
  DEFAULT_SEQUENCE_RANGE,
  DEFAULT_STEP_SECONDS,
} from '@spa/shared';

export const DEFAULT_CONFIG_PATH = '/etc/spa/server.toml';
/** Environment variable naming the config file when `--config` is not given. */
export const CONFIG_PATH_ENV = 'SPA_SERVER_CONFIG';
/** The daemon's pid file, inside `state_dir`. */
export const PID_FILE_NAME = 'spa-server.pid';

export const DEFAULTS = {
  stateDir: '/var/lib/spa',
  logLevel: 'info',
  knockRange: DEFAULT_KNOCK_RANGE,
  stepSeconds: DEFAULT_STEP_SECONDS,
  maxPastMs: 30_000,
  maxFutureMs: 30_000,
  sequenceEnabled: true,
  sequenceLength: 4,
  sequenceProtocol: 'tcp',
  sequenceRange: DEFAULT_SEQUENCE_RANGE,
  sequenceGapMs: 5_000,
  defaultDurationSeconds: 30,
  maxDurationSeconds: 300,
  requireLiteralAddress: false,
  firewallBackend: 'nftables',
  firewallTable: 'spa',
  onStop: 'keep',
  /** fwknop's default SPA port (fwknopd.conf PCAP_FILTER "udp port 62201"). */
  fwknopPort: DEFAULT_FWKNOP_PORT,
} as const;

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export const FIREWALL_BACKENDS = ['nftables', 'iptables', 'command', 'dry-run'] as const;
export const COMMAND_TEMPLATES = ['grant', 'revoke', 'start', 'stop'] as const;
export const COMMAND_PLACEHOLDERS = ['{ip}', '{proto}', '{port}', '{seconds}'] as const;

export interface KeyDoc {
  readonly key: string;
  /** One-line comment written beside (or above) the key. */
  readonly doc: string;
}

export interface SectionDoc {
  /** Table name as written in the header: `server`, `firewall.command`. */
  readonly name: string;
  /** Comment lines written above the header. */
  readonly title: readonly string[];
  readonly keys: readonly KeyDoc[];
}

export const FILE_HEADER: readonly string[] = [
  'spa-server configuration. Holds secrets: keep it mode 0600 (spa-server refuses a looser file).',
  'Durations: integer seconds (30) or "30s", "5m", "1h", "1m30s", "500ms".',
  'Change clients with `spa-server add-client/remove-client/revoke-client`, then',
  '`systemctl reload spa-server`. Check the file with `spa-server check`.',
];

export const SECTIONS: readonly SectionDoc[] = [
  {
    name: 'server',
    title: [],
    keys: [
      { key: 'name', doc: 'shown in client profiles: ssh@NAME' },
      { key: 'host', doc: 'host name or address clients send knocks to and connect to' },
      { key: 'interfaces', doc: 'capture on these (ip link names, or ["any"])' },
      { key: 'state_dir', doc: 'replay store and pid file' },
      { key: 'id', doc: 'server id (32 hex digits), shared with clients' },
      { key: 'secret', doc: 'server secret (spas1...), shared with clients' },
      { key: 'log_level', doc: 'error | warn | info | debug' },
    ],
  },
  {
    name: 'knock',
    title: ['Where knocks arrive: a port rotating in port_range every step, or a fixed `port = N`.'],
    keys: [
      { key: 'port_range', doc: 'rotating knock port range; no service may be inside it' },
      { key: 'port', doc: 'fixed knock port (instead of port_range)' },
      { key: 'step', doc: 'how often the knock port (and lookup tag) changes' },
      { key: 'max_past', doc: 'accept knocks this far behind the server clock' },
      { key: 'max_future', doc: 'and this far ahead of it' },
    ],
  },
  {
    name: 'sequence',
    title: ['One-time knock sequences, for clients that can only open TCP connections.'],
    keys: [
      { key: 'enabled', doc: 'true | false' },
      { key: 'length', doc: 'knocks per sequence, 1-16' },
      { key: 'protocol', doc: 'tcp | udp | mixed' },
      { key: 'port_range', doc: 'must not overlap the knock ports or hold a service' },
      { key: 'gap', doc: 'longest pause between two knocks of a sequence' },
    ],
  },
  {
    name: 'policy',
    title: [],
    keys: [
      { key: 'default_duration', doc: 'how long a grant lasts when the knock does not say' },
      { key: 'max_duration', doc: 'longest grant a knock may ask for' },
      { key: 'require_literal_address', doc: 'refuse knocks that ask for "my source address"' },
      { key: 'allowed_sources', doc: 'CIDRs knocks must come from; [] = anywhere' },
      { key: 'require_ssh_key', doc: "every knock must be signed by its client's ssh_key (two-factor)" },
    ],
  },
  {
    name: 'firewall',
    title: ['How grants reach the kernel. See docs/firewall.md.'],
    keys: [
      { key: 'backend', doc: 'nftables | iptables | command | dry-run' },
      { key: 'table', doc: 'nftables table / ipset+iptables name prefix' },
      { key: 'on_stop', doc: 'keep (fail closed: guard and grants stay, as after a crash) | remove' },
      { key: 'out_of_band', doc: 'how you get in without the network, e.g. "provider web console"' },
    ],
  },
  {
    name: 'firewall.command',
    title: ['argv templates for backend = "command"; placeholders {ip} {proto} {port} {seconds}.'],
    keys: [
      { key: 'grant', doc: 'required: open {proto}/{port} for {ip} for {seconds}' },
      { key: 'revoke', doc: 'close {proto}/{port} for {ip}' },
      { key: 'start', doc: 'run once at start' },
      { key: 'stop', doc: 'run once at stop' },
    ],
  },
];

export const FWKNOP_SECTION: SectionDoc = {
  name: 'fwknop',
  title: ['Packets from the stock fwknop client, for [fwknop_clients.NAME]. See docs/fwknop.md.'],
  keys: [{ key: 'port', doc: 'udp port fwknop clients send to (fwknop default 62201)' }],
};

export const FWKNOP_CLIENT_KEYS: readonly KeyDoc[] = [
  { key: 'key_base64', doc: 'KEY_BASE64: the Rijndael key (or key = "passphrase", KEY)' },
  { key: 'key', doc: 'KEY: a passphrase Rijndael key (or key_base64)' },
  { key: 'hmac_key_base64', doc: 'HMAC_KEY_BASE64 (or hmac_key); required' },
  { key: 'hmac_key', doc: 'HMAC_KEY: a passphrase HMAC key (or hmac_key_base64)' },
  { key: 'hmac_digest', doc: 'sha256 | sha384 | sha512' },
  { key: 'services', doc: 'services this client may open' },
  { key: 'expires', doc: 'key stops working at this date (00:00 UTC) or date-time' },
  { key: 'revoked', doc: 'true = refused' },
  { key: 'allowed_sources', doc: 'CIDRs this client may knock from; [] = anywhere' },
  { key: 'require_literal_address', doc: 'refuse an allow address of 0.0.0.0 (fwknop -s)' },
  { key: 'require_username', doc: 'the username field must be this' },
  { key: 'default_duration', doc: 'grant length when the knock does not ask' },
  { key: 'max_duration', doc: 'longest grant (also capped by [policy] max_duration)' },
];

export const SERVICES_TITLE: readonly string[] = [
  'Guarded services: name = "PORT/PROTO". Hidden until a client knocks.',
];

export const CLIENT_KEYS: readonly KeyDoc[] = [
  { key: 'key', doc: 'client key (spak1...)' },
  { key: 'services', doc: 'services this client may open' },
  { key: 'expires', doc: 'key stops working at this date (00:00 UTC) or date-time' },
  { key: 'revoked', doc: 'true = refused' },
  { key: 'allowed_sources', doc: 'CIDRs this client may knock from; [] = anywhere' },
  { key: 'ssh_key', doc: 'SSH public key whose ssh-agent must sign every knock (two-factor)' },
  { key: 'require_touch', doc: 'sk-* ssh_key: the security key must have been touched' },
];

export const CLIENTS_TITLE: readonly string[] = [
  'Clients: [clients.NAME]. Managed by spa-server add-client / remove-client / revoke-client.',
];

export function sectionKeys(name: string): readonly string[] {
  return [...SECTIONS, FWKNOP_SECTION].find((s) => s.name === name)?.keys.map((k) => k.key) ?? [];
}
