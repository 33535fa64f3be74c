/**
 * `knock` and `ports`: one-time knock sequences. The sequence of step T for (client,
 * service) comes from the client's sequence key (shared/sequence.ts); the server accepts it
 * while its own step is T-1..T+1, so it stays valid until the end of step T+1.
 */
import {
  type ClientProfile,
  deriveClientKeys,
  deriveSequence,
  type Knock,
  type L4Protocol,
  msLeftInStep,
  timeStep,
  toHex,
  wipe,
} from '@spa/shared';
import { decoyPort, interleave, randomBelow, watchedBy } from './decoys.js';
import { ClientError, usage } from './errors.js';
import { noAnswerError, OPEN_DEFAULTS, type OpenDeps, type OpenResult } from './open-service.js';
import { type Endpoint, resolveHost } from './resolve.js';
import type { SentSequences } from './sent-sequences.js';
import { PortWatcher } from './wait-open.js';

export interface KnockDeps extends OpenDeps {
  /** One TCP knock: a SYN, the socket dropped before any retransmission. */
  tcpKnock(to: Endpoint): Promise<void>;
  /** The sequences already sent from here (sent-sequences.ts); absent: no memory. */
  sent?: SentSequences;
}

export interface SequenceNow {
  readonly step: number;
  readonly knocks: readonly Knock[];
  /** Whole seconds the sequence is still accepted (to the end of step T+1). */
  readonly validForSeconds: number;
}

function sequenceSpec(profile: ClientProfile, name: string) {
  if (!profile.sequence) {
    throw new ClientError(
      'no-sequence',
      `the profile ${name} has no knock sequences`,
      'use spa-client open instead, or ask for a profile with sequences enabled on the server',
    );
  }
  return profile.sequence;
}

export function currentSequence(
  profile: ClientProfile,
  service: string,
  nowMs: number,
  name = profile.server,
) {
  const spec = sequenceSpec(profile, name);
  const step = timeStep(nowMs, profile.stepSeconds);
  const keys = deriveClientKeys(profile.clientSecret);
  const knocks = deriveSequence(keys.sequence, step, service, spec);
  wipe(keys.enc, keys.mac, keys.lookup, keys.sequence);
  const validForSeconds = Math.floor(msLeftInStep(nowMs, profile.stepSeconds) / 1000) + profile.stepSeconds;
  return { step, knocks, validForSeconds } satisfies SequenceNow;
}

export const KNOCK_DEFAULTS = { gapMs: 100, waitMs: 3000 } as const;

export interface KnockRequest {
  readonly profile: ClientProfile;
  readonly name?: string;
  readonly service: string;
  /** Pause between knocks (default 100 ms). */
  readonly gapMs?: number;
  /** Knocks to unwatched ports of the same kind, mixed in (default 0). */
  readonly decoys?: number;
  readonly wait?: boolean;
  /** How long to wait for the port after the last knock (default 3 s). */
  readonly waitMs?: number;
  readonly probeIntervalMs?: number;
  readonly probeTimeoutMs?: number;
  readonly family?: 4 | 6;
  readonly onEvent?: (e: { kind: 'knock'; index: number; of: number } | { kind: 'waiting' }) => void;
}

/** A UDP knock: empty or a few random bytes; decoys draw from the same sizes. */
function udpPayload(random: (n: number) => Uint8Array): Uint8Array {
  return random(randomBelow(random, 9));
}

export async function knockService(
  req: KnockRequest,
  deps: KnockDeps,
): Promise<OpenResult & { knocks: readonly Knock[] }> {
  const { profile, service } = req;
  const name = req.name ?? profile.server;
  const spec = profile.services[service];
  if (!spec) {
    throw new ClientError(
      'unknown-service',
      `unknown service "${service}" on ${name}`,
      `it offers: ${Object.keys(profile.services).join(', ')}`,
    );
  }
  const seq = sequenceSpec(profile, name);
  const gapMs = req.gapMs ?? KNOCK_DEFAULTS.gapMs;
  if (gapMs >= seq.gapMs) {
    throw usage(
      `--gap ${gapMs} ms: the server resets a sequence after ${seq.gapMs} ms between knocks`,
      `use a gap below ${seq.gapMs} ms`,
    );
  }
  const mono = deps.monotonic ?? deps.now;
  const resolved = await resolveHost(profile.host, deps.lookup, req.family);
  const now = deps.now();
  const { knocks, step } = currentSequence(profile, service, now, name);
  // The server takes each step's sequence once: never send it twice (see sent-sequences.ts).
  const key = `${toHex(profile.serverId)}/${profile.client}/${service}/${step}`;
  const earlier = deps.sent?.find(key, now);
  if (earlier) {
    const nextInSeconds = Math.ceil(msLeftInStep(now, profile.stepSeconds) / 1000);
    throw new ClientError(
      'sequence-spent',
      `this step's knock sequence for ${service} on ${name} was already sent at ${new Date(earlier.sentAtMs).toISOString()}; the server accepts each sequence once`,
      `the next step's sequence is ready in ${nextInSeconds} s (spa-client ports ${service}@${name}), or use spa-client open ${service}@${name}`,
    );
  }
  deps.sent?.add({ key, sentAtMs: now, expiresAtMs: (step + 2) * profile.stepSeconds * 1000 }, now);
  const watched = watchedBy(profile);
  const decoys = Array.from({ length: req.decoys ?? 0 }, (): Knock => {
    const protocol: L4Protocol =
      seq.protocol === 'mixed' ? (randomBelow(deps.random, 2) ? 'udp' : 'tcp') : seq.protocol;
    return { protocol, port: decoyPort(deps.random, watched) };
  });
  // Keep real knocks well inside the server's gap timeout even with decoys between them.
  const maxBetween = Math.max(0, Math.floor((seq.gapMs * 0.8) / gapMs) - 1);
  const slots = interleave(knocks, decoys, deps.random, maxBetween);
  let firstAt: number | undefined;
  let index = 0;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    if (i > 0) await deps.sleep(gapMs);
    const to: Endpoint = { ...resolved, port: slot.item.port };
    if (slot.real) {
      firstAt ??= mono();
      req.onEvent?.({ kind: 'knock', index: ++index, of: knocks.length });
    }
    if (slot.item.protocol === 'tcp') await deps.tcpKnock(to);
    else await deps.send(to, udpPayload(deps.random));
  }
  const base = {
    name,
    service,
    host: profile.host,
    address: resolved.address,
    protocol: spec.protocol,
    port: spec.port,
    knockPorts: knocks.map((k) => k.port),
    knocks,
    durationSeconds: undefined,
  };
  if (req.wait === false || spec.protocol !== 'tcp') return { ...base, status: 'sent' };
  req.onEvent?.({ kind: 'waiting' });
  const watcher = new PortWatcher({ ...resolved, port: spec.port }, deps, mono, {
    intervalMs: req.probeIntervalMs ?? OPEN_DEFAULTS.probeIntervalMs,
    timeoutMs: req.probeTimeoutMs ?? OPEN_DEFAULTS.probeTimeoutMs,
  });
  const waitMs = req.waitMs ?? KNOCK_DEFAULTS.waitMs;
  try {
    if (await watcher.until(mono() + waitMs)) {
      return { ...base, status: 'open', openedInMs: Math.max(0, watcher.openedAt! - (firstAt ?? 0)) };
    }
  } finally {
    watcher.close();
  }
  throw noAnswerError(name, service, spec.port, Math.round(waitMs / 1000), deps.now());
}
