/**
 * Stable reason codes for rejected fwknop packets, in the order the checks run
 * (docs/fwknop.md "Wire format"). Part of the public interface; never change meaning.
 */
export const FWKNOP_REASONS = [
  'fwknop-shape', // not a plausible fwknop packet: length, characters, kept "U2FsdGVkX1" prefix
  'mac', // HMAC wrong (also: a packet made without --use-hmac, or another digest type)
  'fwknop-decrypt', // authenticated, but not base64 / not "Salted__" / bad CBC padding
  'fwknop-digest', // plaintext not ASCII, no digest field, unknown digest length, or mismatch
  'fwknop-fields', // wrong field count or a field out of shape
  'fwknop-version', // a protocol version other than 3.0.0
  'fwknop-access', // access or command message malformed (address, protocol/port list)
] as const;

export type FwknopReason = (typeof FWKNOP_REASONS)[number];

export type FwknopVerdict<T> = { ok: true; value: T } | { ok: false; reason: FwknopReason };
