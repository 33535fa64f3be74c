/** Verify: is this packet a knock from a configured client? Native knocks and fwknop's. */

export { HOST_ADDRESSES_MAX_AGE_MS, HOST_ADDRESSES_MIN_GAP_MS, HostAddresses } from './destination.js';
export {
  DEFAULT_FWKNOP_BUDGET,
  type FwknopBudget,
  FwknopGate,
  type FwknopGateReject,
  type FwknopShape,
  UNLIMITED_FWKNOP_BUDGET,
} from './fwknop-gate.js';
export { type FwknopKnock, type FwknopVerdict, FwknopVerifier } from './fwknop-verifier.js';
export { type KnockClient, KnockVerifier, type VerifierSetup } from './knock-verifier.js';
export { SignatureGate, type SignatureReject, type SignatureVerdict } from './signature.js';
export { type BudgetSettings, DEFAULT_SIGNATURE_BUDGET, SignatureBudget } from './signature-budget.js';
export { TokenBucket } from './token-bucket.js';
