/**
 * One SPA packet for a profile: the core's `sealKnock` with this moment's time and fresh
 * random bytes. Keys are derived once per command (`profileKeys`).
 */
import {
  type ClientKeys,
  type ClientProfile,
  deriveClientKeys,
  deriveServerKeys,
  type IpAddress,
  type KnockPayload,
  knockPort,
  knockSignedMessage,
  LookupMask,
  NONCE_LENGTH,
  ONE_TIME_ID_LENGTH,
  PROTOCOL_VERSION,
  type ServerKeys,
  sealKnock,
  timeStep,
  wipe,
} from '@spa/shared';
import type { Random } from './decoys.js';
import type { KnockSigner } from './knock-signer.js';

export interface ProfileKeys {
  readonly client: ClientKeys;
  readonly server: ServerKeys;
  readonly mask: LookupMask;
}

export function profileKeys(profile: ClientProfile): ProfileKeys {
  const server = deriveServerKeys(profile.serverSecret);
  return { client: deriveClientKeys(profile.clientSecret), server, mask: new LookupMask(server.header) };
}

/** Overwrite derived keys once a command is done with them. */
export function wipeKeys(keys: ProfileKeys): void {
  wipe(
    keys.client.enc,
    keys.client.mac,
    keys.client.lookup,
    keys.client.sequence,
    keys.server.port,
    keys.server.header,
  );
}

/** The server's knock port at `nowMs` (rotating or fixed). */
export function currentKnockPort(profile: ClientProfile, keys: ProfileKeys, nowMs: number): number {
  return knockPort(keys.server.port, timeStep(nowMs, profile.stepSeconds), profile.knock);
}

export interface PacketRequest {
  readonly service: string;
  /** Seconds asked for; 0 or undefined = the server's default. */
  readonly durationSeconds?: number;
  /** A literal address to let in; undefined = the packet's source address. */
  readonly allow?: IpAddress;
}

function request(profile: ClientProfile, req: PacketRequest, nowMs: number, random: Random): KnockPayload {
  return {
    version: PROTOCOL_VERSION,
    timestampMs: nowMs,
    oneTimeId: random(ONE_TIME_ID_LENGTH),
    serverId: profile.serverId,
    durationSeconds: req.durationSeconds ?? 0,
    target: req.allow ? { kind: 'address', address: req.allow } : { kind: 'source' },
    access: [{ kind: 'service', name: req.service }],
  };
}

export function buildPacket(
  profile: ClientProfile,
  keys: ProfileKeys,
  req: PacketRequest,
  nowMs: number,
  random: Random,
): Uint8Array {
  const nonce = random(NONCE_LENGTH);
  const payload = request(profile, req, nowMs, random);
  return sealKnock({ keys: keys.client, mask: keys.mask, stepSeconds: profile.stepSeconds, nonce, payload });
}

/** A two-factor knock: the SSH key signs the whole request and this packet's nonce (protocol.md §12). */
export async function buildSignedPacket(
  profile: ClientProfile,
  keys: ProfileKeys,
  req: PacketRequest,
  nowMs: number,
  random: Random,
  signer: KnockSigner,
): Promise<Uint8Array> {
  const nonce = random(NONCE_LENGTH);
  const unsigned = request(profile, req, nowMs, random);
  const signature = await signer(knockSignedMessage(nonce, unsigned));
  const payload = { ...unsigned, signature };
  return sealKnock({ keys: keys.client, mask: keys.mask, stepSeconds: profile.stepSeconds, nonce, payload });
}
