/** Verify: is this packet a knock from a configured client? Native knocks and fwknop's. */

export { HostAddresses, type HostAddressOptions } from './destination.js';
export {
  DEFAULT_FWKNOP_BUDGET,
  type FwknopBudget,
  FwknopGate,
  type FwknopShape,
  UNLIMITED_FWKNOP_BUDGET,
} from './fwknop-gate.js';
export { type FwknopKnock, type FwknopVerdict, FwknopVerifier } from './fwknop-verifier.js';
export { type KnockClient, KnockVerifier, type VerifierSetup } from './knock-verifier.js';
export { TokenBucket } from './token-bucket.js';
