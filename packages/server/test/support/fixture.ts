/**
 * A complete server configuration with deterministic keys, and helpers that play the
 * client: seal knocks, wrap them as captured packets, derive sequences. Used by the fuzzer,
 * the benchmark and the daemon's tests; nothing here runs in a real daemon.
 */
import { createHash } from 'node:crypto';
import {
  type Access,
  DEFAULT_FWKNOP_PORT,
  DEFAULT_SEQUENCE,
  deriveClientKeys,
  deriveSequence,
  deriveServerKeys,
  type FwknopDigest,
  type FwknopKeys,
  type FwknopMessageType,
  type Knock,
  type KnockPortMode,
  knockPort,
  knockSignedMessage,
  LookupMask,
  PROTOCOL_VERSION,
  parseCidr,
  parsePortSpec,
  type SequenceSpec,
  type SshPublicKey,
  type SshSignature,
  sealFwknop,
  sealKnock,
  type Target,
  type TimeWindow,
  timeStep,
} from '@spa/shared';
import type { CapturedPacket } from '../../src/capture/frame.js';
import type {
  ClientDef,
  FwknopClientDef,
  PolicyConfig,
  ServerConfig,
  ServiceDef,
} from '../../src/config/types.js';

export interface FixtureClient {
  readonly name: string;
  readonly services?: readonly string[];
  readonly expiresAtMs?: number;
  readonly revoked?: boolean;
  readonly allowedSources?: readonly string[];
  /** Two-factor: the SSH key that must sign its knocks. */
  readonly sshKey?: SshPublicKey;
  readonly requireTouch?: boolean;
}

/** A client of the stock fwknop client; keys derived from the seed like every other key. */
export interface FixtureFwknopClient extends FixtureClient {
  readonly requireLiteralAddress?: boolean;
  readonly requireUsername?: string;
  readonly defaultDurationSeconds?: number;
  readonly maxDurationSeconds?: number;
  readonly hmacDigest?: FwknopDigest;
}

/** What an fwknop packet of the fixture says; defaults: access tcp/22 for the source, now. */
export interface FwknopParams {
  readonly timestampSec?: number;
  readonly type?: FwknopMessageType;
  /** The message field: default "0.0.0.0,tcp/22" (the client's -s). */
  readonly message?: string;
  readonly clientTimeoutSec?: number;
  readonly username?: string;
  /** Seal with these keys instead of the client's (a wrong key). */
  readonly keys?: FwknopKeys;
}

export interface FixtureOptions {
  readonly stateDir: string;
  /** Seeds every key, nonce and one-time id (default "spa-fixture"). */
  readonly seed?: string;
  readonly clients?: readonly FixtureClient[];
  /** name → "PORT/PROTO"; default ssh = 22/tcp, web = 443/tcp, dns = 53/udp. */
  readonly services?: Readonly<Record<string, string>>;
  readonly policy?: Partial<Omit<PolicyConfig, 'allowedSources'>> & { allowedSources?: readonly string[] };
  readonly knock?: KnockPortMode;
  /** false = sequences off; default 4 TCP knocks in 50000-59999, gap 5 s. */
  readonly sequence?: (SequenceSpec & { readonly gapMs: number }) | false;
  readonly stepSeconds?: number;
  readonly window?: TimeWindow;
  readonly logLevel?: ServerConfig['logLevel'];
  /** [fwknop_clients]; default none. */
  readonly fwknopClients?: readonly FixtureFwknopClient[];
  /** Default 62201. */
  readonly fwknopPort?: number;
}

export interface KnockParams {
  /** Default: now. */
  readonly timestampMs?: number;
  readonly access?: readonly Access[];
  readonly target?: Target;
  readonly durationSeconds?: number;
  readonly version?: number;
  readonly serverId?: Uint8Array;
  readonly oneTimeId?: Uint8Array;
  /** Seal with this step length instead of the server's (to break the step binding). */
  readonly stepSeconds?: number;
  /** Two-factor: sign the knock message (the nonce and request) with this. */
  readonly sign?: (message: Uint8Array) => SshSignature;
}

export interface PacketParams {
  readonly src?: string;
  readonly dst?: string;
  /** Default: the knock port of the step of `nowMs`. */
  readonly dstPort?: number;
  readonly srcPort?: number;
  readonly protocol?: 'udp' | 'tcp';
}

const DEFAULT_CLIENTS: readonly FixtureClient[] = [
  { name: 'alice', services: ['ssh', 'web'] },
  { name: 'bob', services: ['dns'] },
];
const DEFAULT_SERVICES = { ssh: '22/tcp', web: '443/tcp', dns: '53/udp' };

export class Fixture {
  readonly config: ServerConfig;
  /** The clients' raw secrets, for tests that search logs for them. */
  readonly secrets = new Map<string, Uint8Array>();
  readonly serverSecret: Uint8Array;
  readonly #mask: LookupMask;
  readonly #portKey: Uint8Array;
  readonly #seed: string;
  #counter = 0;

  constructor(o: FixtureOptions) {
    this.#seed = o.seed ?? 'spa-fixture';
    this.serverSecret = this.bytes('server secret', 32);
    const serverKeys = deriveServerKeys(this.serverSecret);
    this.#mask = new LookupMask(serverKeys.header);
    this.#portKey = serverKeys.port;
    const services = new Map<string, ServiceDef>();
    for (const [name, spec] of Object.entries(o.services ?? DEFAULT_SERVICES)) {
      const ps = parsePortSpec(spec);
      if (!ps) throw new Error(`fixture: bad service ${name} = ${spec}`);
      services.set(name, { name, ...ps });
    }
    const clients = new Map<string, ClientDef>();
    for (const c of o.clients ?? DEFAULT_CLIENTS) {
      const secret = this.bytes(`client ${c.name}`, 32);
      this.secrets.set(c.name, secret);
      clients.set(c.name, {
        name: c.name,
        secret,
        keys: deriveClientKeys(secret),
        services: c.services ?? [...services.keys()],
        expiresAtMs: c.expiresAtMs,
        revoked: c.revoked ?? false,
        allowedSources: cidrs(c.allowedSources ?? []),
        ...(c.sshKey ? { sshKey: c.sshKey, requireTouch: c.requireTouch ?? false } : {}),
      });
    }
    this.config = {
      path: `${o.stateDir}/server.toml`,
      serverName: 'fixture',
      advertiseHost: '192.0.2.1',
      interfaces: ['fake0'],
      stateDir: o.stateDir,
      serverId: this.bytes('server id', 16),
      serverSecret: this.serverSecret,
      knock: o.knock ?? { mode: 'rotating', range: [40000, 49999] },
      stepSeconds: o.stepSeconds ?? 30,
      window: o.window ?? { maxPastMs: 30_000, maxFutureMs: 30_000 },
      sequence: o.sequence === false ? undefined : (o.sequence ?? { ...DEFAULT_SEQUENCE, gapMs: 5_000 }),
      policy: {
        defaultDurationSeconds: o.policy?.defaultDurationSeconds ?? 30,
        maxDurationSeconds: o.policy?.maxDurationSeconds ?? 300,
        requireLiteralAddress: o.policy?.requireLiteralAddress ?? false,
        allowedSources: cidrs(o.policy?.allowedSources ?? []),
        requireSshKey: o.policy?.requireSshKey ?? false,
      },
      firewall: { backend: 'dry-run', table: 'spa', onStop: 'keep' },
      services,
      clients,
      fwknop: {
        port: o.fwknopPort ?? DEFAULT_FWKNOP_PORT,
        clients: this.#fwknopClients(o.fwknopClients ?? [], services),
      },
      logLevel: o.logLevel ?? 'info',
    };
  }

  #fwknopClients(
    list: readonly FixtureFwknopClient[],
    services: ReadonlyMap<string, ServiceDef>,
  ): Map<string, FwknopClientDef> {
    const out = new Map<string, FwknopClientDef>();
    for (const c of list) {
      out.set(c.name, {
        name: c.name,
        services: c.services ?? [...services.keys()],
        expiresAtMs: c.expiresAtMs,
        revoked: c.revoked ?? false,
        allowedSources: cidrs(c.allowedSources ?? []),
        encKey: this.bytes(`fwknop key ${c.name}`, 32),
        hmacKey: this.bytes(`fwknop hmac key ${c.name}`, 64),
        hmacDigest: c.hmacDigest ?? 'sha256',
        requireLiteralAddress: c.requireLiteralAddress ?? false,
        requireUsername: c.requireUsername,
        defaultDurationSeconds: c.defaultDurationSeconds,
        maxDurationSeconds: c.maxDurationSeconds,
      });
    }
    return out;
  }

  /** A packet as the stock fwknop client makes it, from `[fwknop_clients]` entry `client`. */
  fwknopPacket(client: string, nowMs: number, p: FwknopParams = {}): Uint8Array {
    const c = this.config.fwknop.clients.get(client);
    if (!c) throw new Error(`fixture: no fwknop client ${client}`);
    const digits = [...this.bytes(undefined, 16)].map((b) => String(b % 10)).join('');
    const type = p.type ?? (p.clientTimeoutSec ? 'client-timeout-access' : 'access');
    return sealFwknop(
      {
        randomValue: `1${digits.slice(1)}`,
        username: p.username ?? 'root',
        timestampSec: p.timestampSec ?? Math.floor(nowMs / 1000),
        type,
        message: p.message ?? '0.0.0.0,tcp/22',
        ...(p.clientTimeoutSec ? { clientTimeoutSec: p.clientTimeoutSec } : {}),
      },
      p.keys ?? c,
      this.bytes(undefined, 8),
    );
  }

  /** Deterministic bytes for a label (keys) or, with no label, the next fresh value (nonces, ids). */
  bytes(label: string | undefined, n: number): Uint8Array {
    const tag = label ?? `fresh ${this.#counter++}`;
    const out = new Uint8Array(n);
    for (let i = 0, block = 0; i < n; block++) {
      const h = createHash('sha256').update(`${this.#seed}/${tag}/${block}`).digest();
      for (let j = 0; j < h.length && i < n; j++) out[i++] = h[j]!;
    }
    return out;
  }

  client(name: string): ClientDef {
    const c = this.config.clients.get(name);
    if (!c) throw new Error(`fixture: no client ${name}`);
    return c;
  }

  knockPortAt(nowMs: number): number {
    return knockPort(this.#portKey, timeStep(nowMs, this.config.stepSeconds), this.config.knock);
  }

  /** A sealed SPA packet from `client`, fresh nonce and one-time id unless given. */
  knock(client: string, nowMs: number, p: KnockParams = {}): Uint8Array {
    const c = this.client(client);
    const nonce = this.bytes(undefined, 24);
    const payload = {
      version: p.version ?? PROTOCOL_VERSION,
      timestampMs: p.timestampMs ?? nowMs,
      oneTimeId: p.oneTimeId ?? this.bytes(undefined, 16),
      serverId: p.serverId ?? this.config.serverId,
      durationSeconds: p.durationSeconds ?? 0,
      target: p.target ?? ({ kind: 'source' } as const),
      access: p.access ?? [{ kind: 'service' as const, name: c.services[0] ?? 'ssh' }],
    };
    return sealKnock({
      keys: c.keys,
      mask: this.#mask,
      stepSeconds: p.stepSeconds ?? this.config.stepSeconds,
      nonce,
      payload: p.sign ? { ...payload, signature: p.sign(knockSignedMessage(nonce, payload)) } : payload,
    });
  }

  /** A captured UDP packet carrying `payload` to the knock port of `nowMs` (by default). */
  udp(payload: Uint8Array, nowMs: number, p: PacketParams = {}): CapturedPacket {
    return {
      family: (p.src ?? '198.51.100.7').includes(':') ? 6 : 4,
      srcAddress: p.src ?? '198.51.100.7',
      dstAddress: p.dst ?? '192.0.2.1',
      protocol: p.protocol ?? 'udp',
      srcPort: p.srcPort ?? 40404,
      dstPort: p.dstPort ?? this.knockPortAt(nowMs),
      payload,
    };
  }

  /** The one-time sequence of `client` for `service` at the step of `nowMs`. */
  sequence(client: string, service: string, nowMs: number): Knock[] {
    const spec = this.config.sequence;
    if (!spec) throw new Error('fixture: sequences are off');
    const step = timeStep(nowMs, this.config.stepSeconds);
    return deriveSequence(this.client(client).keys.sequence, step, service, spec);
  }

  /** A captured sequence knock (TCP SYN or UDP datagram, no payload). */
  sequencePacket(k: Knock, src = '198.51.100.7'): CapturedPacket {
    return {
      family: src.includes(':') ? 6 : 4,
      srcAddress: src,
      dstAddress: '192.0.2.1',
      protocol: k.protocol,
      srcPort: 40405,
      dstPort: k.port,
      payload: new Uint8Array(0),
    };
  }

  /** A copy of the configuration with some parts replaced (a reload's new file). */
  with(changes: Partial<ServerConfig>): ServerConfig {
    return { ...this.config, ...changes };
  }
}

function cidrs(texts: readonly string[]) {
  return texts.map((t) => {
    const c = parseCidr(t);
    if (!c) throw new Error(`fixture: bad CIDR ${t}`);
    return c;
  });
}
