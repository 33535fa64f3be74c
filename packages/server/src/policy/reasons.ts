/**
 * Stable codes for knocks that are authentic and fresh but not allowed by the server's
 * policy. Like the protocol's reject reasons (`@spa/shared` reasons.ts) they are counted and
 * logged at debug level, and never change meaning.
 */
export const POLICY_REASONS = [
  'policy-revoked', // the client's key is revoked
  'policy-expired', // the client's key expired
  'policy-literal', // requireLiteralAddress is on and the knock asks for its source address
  'policy-source', // the source (or literal target) address is outside the allowed networks
  'policy-service', // a service or port the client may not open, or an unknown service
  'policy-command', // fwknop: a command-execution request (spa never runs commands)
  'policy-nat', // fwknop: a NAT access request (spa does not forward)
  'policy-username', // fwknop: the username field is not the client's require_username
] as const;

export type PolicyReason = (typeof POLICY_REASONS)[number];
