/** fwknop compatibility: open (and, for tests, seal) packets of the stock fwknop client. */
export { fromBase64 } from './base64.js';
export { fwknopKeyIv } from './cipher.js';
export {
  encodeFwknopPlaintext,
  type FwknopMessage,
  type FwknopMessageInput,
  parseFwknopPlaintext,
} from './fields.js';
export {
  type FwknopKeys,
  fwknopBodyLength,
  fwknopMacMatches,
  MAX_ENC_KEY_LENGTH,
  MAX_HMAC_KEY_LENGTH,
  type PreparedFwknopClient,
  prepareFwknopClient,
} from './mac.js';
export { type FwknopAccess, type FwknopPort, fwknopAccessMessage, parseFwknopAccess } from './message.js';
export { FWKNOP_REPLAY_ID_LENGTH, fwknopReplayId, openFwknop } from './open.js';
export { FWKNOP_REASONS, type FwknopReason, type FwknopVerdict } from './reasons.js';
export { sealFwknop, sealFwknopPlaintext } from './seal.js';
export {
  DEFAULT_FWKNOP_PORT,
  FKO_VERSION,
  FWKNOP_CLIENT_MAX_WIRE_LENGTH,
  FWKNOP_DIGESTS,
  FWKNOP_MESSAGE_TYPES,
  type FwknopDigest,
  type FwknopMessageType,
  type FwknopPlainDigest,
  MAX_USERNAME_LENGTH,
  MAX_WIRE_LENGTH as FWKNOP_MAX_WIRE_LENGTH,
} from './wire.js';
