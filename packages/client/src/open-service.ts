/**
 * `open`: send one SPA packet to the server's current knock port, then wait until the
 * service's TCP port accepts a connection; if it has not after `retryAfterMs`, send a fresh
 * packet (new nonce, new one-time id: never the same bytes twice), `sends` times at most.
 * All I/O, time and randomness come in as `OpenDeps`; `systemDeps()` are the real ones.
 */
import { type ClientProfile, formatIp, type IpAddress, PACKET_LENGTH } from '@spa/shared';
import { decoyPort, interleave, type Random, randomBelow, watchedBy } from './decoys.js';
import { ClientError } from './errors.js';
import { type AgentLike, agentAt, agentSigner, type KnockSigner } from './knock-signer.js';
import { type Endpoint, type Lookup, resolveHost } from './resolve.js';
import { buildPacket, buildSignedPacket, currentKnockPort, profileKeys, wipeKeys } from './seal.js';
import { PortWatcher } from './wait-open.js';

export interface OpenDeps {
  /** Send one UDP datagram. */
  send(to: Endpoint, payload: Uint8Array): Promise<void>;
  /** One TCP connection attempt of at most `timeoutMs`: did the port accept it? */
  probe(to: Endpoint, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Wall clock, ms since the epoch: goes into the packet and picks the step. */
  now(): number;
  /** Monotonic ms for measuring and deadlines; defaults to `now`. */
  monotonic?(): number;
  random: Random;
  /** Resolves after `ms`, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  lookup: Lookup;
  /** The user's ssh-agent, for two-factor profiles; undefined = none ($SSH_AUTH_SOCK unset). */
  agent?: AgentLike | undefined;
}

export type OpenEvent =
  | { readonly kind: 'resolved'; readonly address: string }
  | { readonly kind: 'sent'; readonly attempt: number; readonly of: number; readonly port: number }
  | { readonly kind: 'waiting'; readonly attempt: number; readonly of: number }
  /** A security key must be touched to sign the knock. */
  | { readonly kind: 'touch'; readonly waitSeconds: number };

export interface OpenRequest {
  readonly profile: ClientProfile;
  /** The profile's name, for messages (default: the server's name). */
  readonly name?: string;
  readonly service: string;
  /** Seconds asked for; undefined = the server's default. */
  readonly durationSeconds?: number;
  /** Let in this address instead of the packet's source. */
  readonly allow?: IpAddress;
  /** Packets at most, each one fresh (default 3). */
  readonly sends?: number;
  /** Wait for the port to open (default true). */
  readonly wait?: boolean;
  /** Resend when not open after this long (default 1000 ms). */
  readonly retryAfterMs?: number;
  /** A new connection attempt this often (default 75 ms)... */
  readonly probeIntervalMs?: number;
  /** ...each given up after this long (default 300 ms). */
  readonly probeTimeoutMs?: number;
  /** Random datagrams to unwatched ports around each packet (default 0). */
  readonly decoys?: number;
  /** Use only this address family of the host. */
  readonly family?: 4 | 6;
  readonly onEvent?: (e: OpenEvent) => void;
}

export interface OpenResult {
  readonly name: string;
  readonly service: string;
  readonly host: string;
  readonly address: string;
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  /** Knock port of each packet sent. */
  readonly knockPorts: readonly number[];
  readonly durationSeconds: number | undefined;
  /**
   * `open`: the port accepted a connection after the knock; `already-open`: it accepted one
   * made before the knock, so the knock cannot be credited (an earlier grant, or no guard);
   * `sent`: not waited for (--no-wait, or a UDP service).
   */
  readonly status: 'open' | 'already-open' | 'sent';
  /** From the first packet to the accepted connection. */
  readonly openedInMs?: number;
  /** Two-factor: the fingerprint of the SSH key that signed the knocks; undefined = unsigned. */
  readonly signedBy?: string;
}

export const OPEN_DEFAULTS = {
  sends: 3,
  retryAfterMs: 1000,
  probeIntervalMs: 75,
  probeTimeoutMs: 300,
} as const;

/**
 * Was the port open before the knock? One connection attempt is started just before the first
 * packet. A guarded port drops its SYN (the kernel retries only after ~1 s), so an answer within
 * this bound can only come from a port that was already open: its SYN reached the server before
 * the knock could be granted. A later answer proves nothing and is not waited for.
 */
export const PRE_KNOCK_PROBE_MS = 900;
/** Head start of that SYN over the knock packet. */
export const PRE_KNOCK_LEAD_MS = 2;

/** Spacing of decoys around an SPA packet: 5-24 ms, like a burst of unrelated datagrams. */
const decoySpacing = (random: Random) => 5 + randomBelow(random, 20);

export function noAnswerError(
  name: string,
  service: string,
  port: number,
  seconds: number,
  nowMs: number,
  allow?: IpAddress,
) {
  // A wrong clock is the usual cause and looks like any other silence: say what this clock says.
  const clock = new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const hint =
    `check the clock: this machine says ${clock} (UTC); the server accepts knocks within ±30 s of its own ` +
    '(by default; compare with `date -u` there, and use NTP on both); then that spa-server runs, and the network path' +
    (allow ? `; with --allow ${formatIp(allow)} this machine may not be the one let in (try --no-wait)` : '');
  return new ClientError(
    'no-answer',
    `no answer in ${seconds} s: ${service} (port ${port}/tcp) on ${name} did not open`,
    hint,
  );
}

export async function openService(req: OpenRequest, deps: OpenDeps): Promise<OpenResult> {
  const profile = req.profile;
  const name = req.name ?? profile.server;
  const spec = profile.services[req.service];
  if (!spec) {
    throw new ClientError(
      'unknown-service',
      `unknown service "${req.service}" on ${name}`,
      `it offers: ${Object.keys(profile.services).join(', ') || 'none'}`,
    );
  }
  const maxSends = req.sends ?? OPEN_DEFAULTS.sends;
  const retryAfterMs = req.retryAfterMs ?? OPEN_DEFAULTS.retryAfterMs;
  if (!Number.isInteger(maxSends) || maxSends < 1) throw new RangeError('sends: expected a positive integer');
  const mono = deps.monotonic ?? deps.now;
  const resolved = await resolveHost(profile.host, deps.lookup, req.family);
  req.onEvent?.({ kind: 'resolved', address: resolved.address });
  let signer: KnockSigner | undefined;
  if (profile.sshKey) {
    const agent = deps.agent ?? agentAt(undefined);
    signer = (
      await agentSigner(agent, profile.sshKey, {
        onTouch: (waitSeconds) => req.onEvent?.({ kind: 'touch', waitSeconds }),
      })
    ).sign;
  }
  const keys = profileKeys(profile);
  const watched = watchedBy(profile);
  const service: Endpoint = { ...resolved, port: spec.port };
  const wait = (req.wait ?? true) && spec.protocol === 'tcp';
  const sends = wait ? maxSends : 1;
  const knockPorts: number[] = [];
  const base = {
    name,
    service: req.service,
    host: profile.host,
    address: resolved.address,
    protocol: spec.protocol,
    port: spec.port,
    knockPorts,
    durationSeconds: req.durationSeconds,
    ...(profile.sshKey ? { signedBy: profile.sshKey } : {}),
  };

  /** Send one fresh packet (amid decoys): when the real one went out, by the monotonic clock. */
  const sendOne = async (attempt: number): Promise<number> => {
    const decoys = Array.from({ length: req.decoys ?? 0 }, () => decoyPort(deps.random, watched));
    const slots = interleave([0], decoys, deps.random);
    let sentAt = 0;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      if (i > 0) await deps.sleep(decoySpacing(deps.random));
      if (slot.real) {
        const now = deps.now();
        const packet = signer
          ? await buildSignedPacket(profile, keys, req, now, deps.random, signer)
          : buildPacket(profile, keys, req, now, deps.random);
        // After signing: a security key's touch may have taken the clock into the next step.
        const port = currentKnockPort(profile, keys, signer ? deps.now() : now);
        sentAt = mono();
        await deps.send({ ...resolved, port }, packet);
        knockPorts.push(port);
        req.onEvent?.({ kind: 'sent', attempt, of: sends, port });
      } else {
        await deps.send({ ...resolved, port: slot.item }, deps.random(PACKET_LENGTH));
      }
    }
    return sentAt;
  };

  /** Send, wait for the port, resend while it stays closed. */
  const sendAndWait = async (): Promise<OpenResult> => {
    const watcher = new PortWatcher(service, deps, mono, {
      intervalMs: req.probeIntervalMs ?? OPEN_DEFAULTS.probeIntervalMs,
      timeoutMs: req.probeTimeoutMs ?? OPEN_DEFAULTS.probeTimeoutMs,
    });
    const before = new AbortController();
    let openBefore = false;
    deps.probe(service, PRE_KNOCK_PROBE_MS, before.signal).then(
      (ok) => {
        openBefore = ok;
      },
      () => {},
    );
    try {
      await deps.sleep(PRE_KNOCK_LEAD_MS);
      let firstSentAt: number | undefined;
      for (let attempt = 1; attempt <= sends; attempt++) {
        const sentAt = await sendOne(attempt);
        firstSentAt ??= sentAt;
        req.onEvent?.({ kind: 'waiting', attempt, of: sends });
        if (await watcher.until(mono() + retryAfterMs)) {
          const status = openBefore ? 'already-open' : 'open';
          return { ...base, status, openedInMs: Math.max(0, watcher.openedAt! - firstSentAt) };
        }
      }
    } finally {
      before.abort();
      watcher.close();
    }
    throw noAnswerError(
      name,
      req.service,
      spec.port,
      Math.round((sends * retryAfterMs) / 1000),
      deps.now(),
      req.allow,
    );
  };

  try {
    if (!wait) {
      await sendOne(1);
      return { ...base, status: 'sent' };
    }
    return await sendAndWait();
  } finally {
    wipeKeys(keys);
  }
}
