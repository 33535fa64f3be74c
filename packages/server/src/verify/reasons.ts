/**
 * Every code the daemon counts a dropped knock under, in one list: the protocol's reject
 * reasons (`@spa/shared`), the policy's (policy/reasons.ts) and the daemon's own. Stable:
 * counters, logs, tests and docs use them.
 */
import { REJECT_REASONS } from '@spa/shared';
import { POLICY_REASONS } from '../policy/reasons.js';

export const DAEMON_REASONS = [
  'port', // not a knock port now (T-1, T, T+1): another step's port the capture filter admits
  'store', // the replay store could not be written: nothing was granted (fail closed)
] as const;

export type DaemonReason = (typeof DAEMON_REASONS)[number];

export const KNOCK_REJECTS = [...REJECT_REASONS, ...POLICY_REASONS, ...DAEMON_REASONS] as const;
export type KnockReject = (typeof KNOCK_REJECTS)[number];

/** Counter keys of events that are not rejections. */
export const EVENTS = [
  'grant', // a grant handed to the firewall
  'grant-failed', // the firewall refused or failed
  'sequence-started',
  'sequence-advanced',
  'sequence-complete',
  'sequence-reset-wrong-port',
  'sequence-reset-timeout',
  'sequence-burned', // a knock that would start only burned sequences (a replayed sequence)
  'internal-error', // a bug caught around one packet (never attacker input); capture goes on
] as const;
