/**
 * The validated, in-memory server configuration: what `loadConfig` returns and what every
 * other part of the server reads. The file format (TOML) lives in config/schema.ts; this
 * file is the contract between the config loader, the CLI and the daemon.
 */
import type {
  Cidr,
  ClientKeys,
  KnockPortMode,
  L4Protocol,
  PortRange,
  SequenceSpec,
  TimeWindow,
} from '@spa/shared';

export interface ServiceDef {
  readonly name: string;
  readonly protocol: L4Protocol;
  readonly port: number;
}

export interface ClientDef {
  readonly name: string;
  readonly secret: Uint8Array;
  /** Derived on first use, then kept (config/_clients.ts LazyClientKeys): loading stays fast with many clients. */
  readonly keys: ClientKeys;
  /** Names of services this client may open (all must exist in `services`). */
  readonly services: readonly string[];
  /** Milliseconds since the epoch after which the key no longer works; undefined = never. */
  readonly expiresAtMs: number | undefined;
  readonly revoked: boolean;
  /** If non-empty, knocks (and the addresses they authorize) must come from these networks. */
  readonly allowedSources: readonly Cidr[];
}

export interface PolicyConfig {
  readonly defaultDurationSeconds: number; // default 30
  readonly maxDurationSeconds: number; // default 300
  /** Refuse "use the packet's source address" knocks; demand a literal address. */
  readonly requireLiteralAddress: boolean;
  /** Server-wide allowed source networks; empty = any. */
  readonly allowedSources: readonly Cidr[];
}

export type FirewallBackend = 'nftables' | 'iptables' | 'command' | 'dry-run';

export interface FirewallConfig {
  readonly backend: FirewallBackend;
  /** nftables table name (default "spa"), ipset/iptables name prefix. */
  readonly table: string;
  /** On stop: keep the guard and live grants (fail closed, default) or remove everything. */
  readonly onStop: 'keep' | 'remove';
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
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
}

export type { PortRange };
