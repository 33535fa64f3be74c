/**
 * Every code the daemon counts a dropped knock under, in one list: the protocol's reject
 * reasons (`@spa/shared`), the policy's (policy/reasons.ts) and the daemon's own. Stable:
 * counters, logs, tests and docs use them.
 */
import { FWKNOP_REASONS, type FwknopReason, REJECT_REASONS, type RejectReason } from '@spa/shared';
import { POLICY_REASONS, type PolicyReason } from '../policy/index.js';

export const DAEMON_REASONS = [
  'not-for-us', // the destination is not one of this host's addresses (before anything else)
  'port', // not a knock port now (T-1, T, T+1): another step's port the capture filter admits
  'store', // the replay store could not be written: nothing was granted (fail closed)
  'fwknop-length', // at the fwknop port, longer than any stock client's packet (before any HMAC)
  'fwknop-shed', // at the fwknop port, over the per-source or the global budget (before any HMAC)
  'signature-budget', // a signature check shed: the client's budget of checks is spent (verify/signature-budget.ts)
] as const;

export type DaemonReason = (typeof DAEMON_REASONS)[number];

/** fwknop's own codes ('mac' is shared with the native protocol). */
const FWKNOP_ONLY = FWKNOP_REASONS.filter((r): r is Exclude<FwknopReason, 'mac'> => r !== 'mac');

export const KNOCK_REJECTS = [
  ...REJECT_REASONS,
  ...POLICY_REASONS,
  ...FWKNOP_ONLY,
  ...DAEMON_REASONS,
] as const;
export type KnockReject = RejectReason | PolicyReason | FwknopReason | DaemonReason;

/** Counter keys of events that are not rejections. */
export const EVENTS = [
  'grant', // a grant handed to the firewall
  'grant-failed', // the firewall refused or failed
  'sequence-started',
  'sequence-advanced',
  'sequence-complete',
  'sequence-noise', // a wrong port while a sequence is in progress: not progress, not a reset
  'sequence-reset-noise', // a track dropped after more wrong ports than it tolerates
  'sequence-reset-timeout',
  'sequence-burned', // a knock that would start only burned sequences (a replayed sequence)
  'internal-error', // a bug caught around one packet (never attacker input); capture goes on
] as const;
