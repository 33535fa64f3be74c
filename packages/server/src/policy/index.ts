/** Policy: may this verified client have what it asks for, and for how long? */
export { evaluateFwknopPolicy, fwknopLimits } from './fwknop-policy.js';
export {
  type AccessRequest,
  clientStanding,
  evaluatePolicy,
  evaluateSequencePolicy,
  grantSeconds,
  type PolicyGrant,
  type PolicyVerdict,
  type PolicyView,
} from './policy.js';
export { POLICY_REASONS, type PolicyReason } from './reasons.js';
export { sourceAllowed } from './sources.js';
