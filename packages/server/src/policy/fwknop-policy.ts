/**
 * Policy for a verified fwknop packet (docs/fwknop.md): the native policy (policy.ts) after
 * the refusals that make spa stricter than fwknopd. Pure.
 *
 *   command message          → policy-command   (fwknopd may run it; spa never does)
 *   NAT access (any kind)    → policy-nat       (spa opens local ports only)
 *   username ≠ require_username → policy-username
 *   then evaluatePolicy with the client's own limits:
 *     allow address 0.0.0.0 ("use my source") → policy-literal when require_literal_address
 *     ports → must each be one of the client's services (policy-service)
 *     duration: the client timeout if sent, else default_duration; capped by the client's
 *     max_duration and [policy] max_duration
 */
import type { FwknopMessage } from '@spa/shared';
import type { FwknopClientDef, PolicyConfig } from '../config/types.js';
import { type AccessRequest, evaluatePolicy, type PolicyVerdict, type PolicyView } from './policy.js';

const ACCESS_TYPES: ReadonlySet<FwknopMessage['type']> = new Set(['access', 'client-timeout-access']);

export function evaluateFwknopPolicy(
  client: FwknopClientDef,
  message: FwknopMessage,
  sourceAddress: string,
  nowMs: number,
  config: PolicyView,
): PolicyVerdict {
  if (message.type === 'command') return { ok: false, reason: 'policy-command' };
  if (!ACCESS_TYPES.has(message.type) || !message.access) return { ok: false, reason: 'policy-nat' };
  if (client.requireUsername !== undefined && message.username !== client.requireUsername)
    return { ok: false, reason: 'policy-username' };
  const { allow, ports } = message.access;
  const request: AccessRequest = {
    target: allow === 'source' ? { kind: 'source' } : { kind: 'address', address: allow },
    access: ports.map((p) => ({ kind: 'port', protocol: p.protocol, port: p.port })),
    durationSeconds: message.clientTimeoutSec,
  };
  return evaluatePolicy(client, request, sourceAddress, nowMs, {
    services: config.services,
    policy: fwknopLimits(client, config.policy),
  });
}

/** The server's policy with this client's literal-address rule and grant lengths. */
export function fwknopLimits(client: FwknopClientDef, policy: PolicyConfig): PolicyConfig {
  const max = Math.min(client.maxDurationSeconds ?? policy.maxDurationSeconds, policy.maxDurationSeconds);
  return {
    ...policy,
    // Either one demanding a literal address is enough.
    requireLiteralAddress: client.requireLiteralAddress || policy.requireLiteralAddress,
    defaultDurationSeconds: Math.min(client.defaultDurationSeconds ?? policy.defaultDurationSeconds, max),
    maxDurationSeconds: max,
  };
}
