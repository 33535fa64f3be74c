/**
 * Stable reason codes for rejected knocks. They are part of the public interface
 * (counters, logs, tests, docs/protocol.md) and never change meaning.
 */
export const REJECT_REASONS = [
  'length', // not exactly PACKET_LENGTH bytes
  'client', // the lookup tag matches no client for the current steps
  'mac', // knock tag (HMAC) or AEAD tag wrong
  'malformed', // authenticated, but the payload does not decode
  'version', // authenticated, but a protocol version we do not speak
  'server', // made for another server id
  'stale', // timestamp too far in the past
  'future', // timestamp too far in the future
  'replay', // one-time id already seen
  'forgotten', // stamped before what the replay memory can vouch for (a lost store, a clock step back)
  'busy', // replay memory full (only reachable by an authenticated client)
  'signature', // the client's SSH key did not sign this knock (missing, invalid, or no touch)
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: RejectReason };

export function reject<T>(reason: RejectReason): Verdict<T> {
  return { ok: false, reason };
}
