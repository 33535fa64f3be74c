/**
 * Knocks made in the test process, for what the real client will not send: a chosen
 * timestamp (clock skew), another server's id, tampered bytes. Built with the protocol core
 * (`sealKnock`) from a client's profile line, exactly as `spa-client` builds them.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  type ClientKeys,
  type ClientProfile,
  deriveClientKeys,
  deriveServerKeys,
  KNOCK_TAG_OFFSET,
  knockPort,
  LookupMask,
  NONCE_LENGTH,
  ONE_TIME_ID_LENGTH,
  PROTOCOL_VERSION,
  parseProfile,
  SERVER_ID_LENGTH,
  sealKnock,
  timeStep,
  watchedKnockPorts,
} from '@spa/shared';

export interface CraftOptions {
  /** Service name asked for; default the profile's first service. */
  service?: string;
  /** The payload's timestamp; default now. */
  timestampMs?: number;
  /** Default the profile's server id. */
  serverId?: Uint8Array;
  /** Seconds asked for; 0 = the server's default. */
  durationSeconds?: number;
}

export interface CraftedKnock {
  packet: Uint8Array;
  /** The knock port of the server's current step (what the daemon watches now). */
  port: number;
}

export class KnockMaker {
  readonly profile: ClientProfile;
  readonly #keys: ClientKeys;
  readonly #mask: LookupMask;
  readonly #portKey: Uint8Array;

  constructor(uri: string) {
    this.profile = parseProfile(uri);
    this.#keys = deriveClientKeys(this.profile.clientSecret);
    const server = deriveServerKeys(this.profile.serverSecret);
    this.#mask = new LookupMask(server.header);
    this.#portKey = server.port;
  }

  /** The knock port at `nowMs` (default now). */
  port(nowMs = Date.now()): number {
    return knockPort(this.#portKey, timeStep(nowMs, this.profile.stepSeconds), this.profile.knock);
  }

  /** Ports of steps T-1, T, T+1 at `nowMs`: what the daemon's capture filter admits. */
  watchedPorts(nowMs = Date.now()): number[] {
    return watchedKnockPorts(this.#portKey, timeStep(nowMs, this.profile.stepSeconds), this.profile.knock);
  }

  knock(opts: CraftOptions = {}): CraftedKnock {
    const service = opts.service ?? Object.keys(this.profile.services)[0];
    if (!service) throw new Error('the profile has no services');
    const packet = sealKnock({
      keys: this.#keys,
      mask: this.#mask,
      stepSeconds: this.profile.stepSeconds,
      nonce: randomBytes(NONCE_LENGTH),
      payload: {
        version: PROTOCOL_VERSION,
        timestampMs: Math.round(opts.timestampMs ?? Date.now()),
        oneTimeId: randomBytes(ONE_TIME_ID_LENGTH),
        serverId: opts.serverId ?? this.profile.serverId,
        durationSeconds: opts.durationSeconds ?? 0,
        target: { kind: 'source' },
        access: [{ kind: 'service', name: service }],
      },
    });
    return { packet, port: this.port() };
  }

  /**
   * A copy of `packet` with a correct knock tag over its (possibly tampered) first 304 bytes,
   * as only the client could make: it passes the HMAC, so the AEAD check alone must refuse it.
   */
  retag(packet: Uint8Array): Uint8Array {
    const copy = Uint8Array.from(packet);
    const tag = createHmac('sha256', this.#keys.mac).update(copy.subarray(0, KNOCK_TAG_OFFSET)).digest();
    copy.set(tag, KNOCK_TAG_OFFSET);
    return copy;
  }
}

/** A copy of `packet` with one bit flipped at byte `offset`. */
export function flipBit(packet: Uint8Array, offset: number, bit = 0): Uint8Array {
  const copy = Uint8Array.from(packet);
  if (offset < 0 || offset >= copy.length) throw new RangeError(`offset ${offset}`);
  copy[offset] = copy[offset]! ^ (1 << bit);
  return copy;
}

/** A server id that is not the profile's. */
export function otherServerId(mine: Uint8Array): Uint8Array {
  const id = Uint8Array.from(randomBytes(SERVER_ID_LENGTH));
  if (Buffer.from(id).equals(Buffer.from(mine))) id[0] = id[0]! ^ 1;
  return id;
}
