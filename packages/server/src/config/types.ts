/**
 * The validated, in-memory server configuration: what `loadConfig` returns and what every
 * other part of the server reads. The file format (TOML) lives in config/schema.ts; this
 * file is the contract between the config loader, the CLI and the daemon.
 */
import type {
  Cidr,
  ClientKeys,
  FwknopDigest,
  KnockPortMode,
  L4Protocol,
  PortRange,
  SequenceSpec,
  SshPublicKey,
  TimeWindow,
} from '@spa/shared';
import type { FIREWALL_BACKENDS, LOG_LEVELS } from './schema.js';

export interface ServiceDef {
  readonly name: string;
  readonly protocol: L4Protocol;
  readonly port: number;
}

/** What the policy reads of any client, native or fwknop. */
export interface ClientStanding {
  readonly name: string;
  /** Names of services this client may open (all must exist in `services`). */
  readonly services: readonly string[];
  /** Milliseconds since the epoch after which the key no longer works; undefined = never. */
  readonly expiresAtMs: number | undefined;
  readonly revoked: boolean;
  /** If non-empty, knocks (and the addresses they authorize) must come from these networks. */
  readonly allowedSources: readonly Cidr[];
}

export interface ClientDef extends ClientStanding {
  readonly secret: Uint8Array;
  /** Derived on first use, then kept (config/clients.ts LazyClientKeys): loading stays fast with many clients. */
  readonly keys: ClientKeys;
  /** Two-factor: the SSH key that must sign every knock (docs/protocol.md §12). */
  readonly sshKey?: SshPublicKey | undefined;
  /** sk keys: the signature must carry the user-presence flag. */
  readonly requireTouch?: boolean;
}

/**
 * A client of the stock fwknop client (Rijndael + HMAC), from `[fwknop_clients.NAME]`
 * (docs/fwknop.md). Stricter than fwknopd: an HMAC key is required.
 */
export interface FwknopClientDef extends ClientStanding {
  /** The Rijndael key: KEY_BASE64 decoded, or the bytes of the KEY passphrase. */
  readonly encKey: Uint8Array;
  readonly hmacKey: Uint8Array;
  readonly hmacDigest: FwknopDigest;
  /** Refuse knocks whose allow address is 0.0.0.0 (REQUIRE_SOURCE_ADDRESS). */
  readonly requireLiteralAddress: boolean;
  /** The username field must equal this (REQUIRE_USERNAME); undefined = any. */
  readonly requireUsername: string | undefined;
  /** Grant length when the knock does not ask (FW_ACCESS_TIMEOUT); undefined = [policy]. */
  readonly defaultDurationSeconds: number | undefined;
  /** Longest grant (MAX_FW_TIMEOUT); undefined = [policy]. [policy] max_duration caps it too. */
  readonly maxDurationSeconds: number | undefined;
}

export interface FwknopConfig {
  /** UDP port the fwknop clients send to (fwknop's default 62201). Captured only if there are clients. */
  readonly port: number;
  readonly clients: ReadonlyMap<string, FwknopClientDef>;
}

export interface PolicyConfig {
  readonly defaultDurationSeconds: number; // default 30
  readonly maxDurationSeconds: number; // default 300
  /** Refuse "use the packet's source address" knocks; demand a literal address. */
  readonly requireLiteralAddress: boolean;
  /** Server-wide allowed source networks; empty = any. */
  readonly allowedSources: readonly Cidr[];
  /** Every knock must carry a valid signature by its client's ssh_key (a client without one opens nothing). */
  readonly requireSshKey?: boolean;
}

/** The closed sets are spelled once, as the schema's lists (config/schema.ts). */
export type FirewallBackend = (typeof FIREWALL_BACKENDS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface FirewallConfig {
  readonly backend: FirewallBackend;
  /** nftables table name (default "spa"), ipset/iptables name prefix. */
  readonly table: string;
  /** On stop: keep the guard and live grants (fail closed, default) or remove everything. */
  readonly onStop: 'keep' | 'remove';
  /** How the operator gets in without the network (free text, e.g. "provider web console"). */
  readonly outOfBand?: string;
  /** argv templates for the command backend; placeholders {ip} {proto} {port} {seconds}. */
  readonly command?: {
    readonly grant: readonly string[];
    readonly revoke?: readonly string[];
    readonly start?: readonly string[];
    readonly stop?: readonly string[];
  };
}

export interface ServerConfig {
  /** Absolute path of the file this came from (for messages and reloads). */
  readonly path: string;
  /** Name put in client profiles (`ssh@NAME`). */
  readonly serverName: string;
  /** Host name or address clients send to (put in profiles). */
  readonly advertiseHost: string;
  /** Interfaces to capture on (libpcap names; "any" allowed). */
  readonly interfaces: readonly string[];
  /** Directory for the replay store (default /var/lib/spa). */
  readonly stateDir: string;
  readonly serverId: Uint8Array;
  readonly serverSecret: Uint8Array;
  readonly knock: KnockPortMode;
  readonly stepSeconds: number; // default 30
  readonly window: TimeWindow; // default ±30 s
  /** One-time knock sequences; undefined = disabled. */
  readonly sequence: (SequenceSpec & { readonly gapMs: number }) | undefined;
  readonly policy: PolicyConfig;
  readonly firewall: FirewallConfig;
  readonly services: ReadonlyMap<string, ServiceDef>;
  readonly clients: ReadonlyMap<string, ClientDef>;
  /** Clients of the stock fwknop client ([fwknop], [fwknop_clients.NAME]). */
  readonly fwknop: FwknopConfig;
  readonly logLevel: LogLevel;
  /** Things the file does that its reader should know (logged at start and reload, shown by `check`). */
  readonly notices?: readonly string[];
  /** [metrics] textfile: Prometheus text for node_exporter's textfile collector, rewritten every 15 s. */
  readonly metricsTextfile?: string;
}

export type { PortRange };
