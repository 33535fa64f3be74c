/**
 * One knock in the sequence port range: advance the source's progress; on a completed
 * sequence, burn it (sync write, before any grant), apply the policy's sequence rules and
 * grant the source address that service for the default duration.
 */
import type { Logger } from 'pino';
import type { CapturedPacket } from '../capture/index.js';
import type { ServerConfig } from '../config/types.js';
import { clientStanding, evaluateSequencePolicy, type PolicyGrant } from '../policy/index.js';
import type { ReplayStore } from '../replay/index.js';
import type { SequenceCandidates, SequenceTracker } from '../sequence/index.js';
import type { Counters } from './counters.js';
import type { KnockReject } from './reasons.js';

export interface SequenceKnockContext {
  readonly tracker: SequenceTracker;
  readonly candidates: SequenceCandidates;
  readonly store: ReplayStore;
  readonly config: ServerConfig;
  readonly counters: Counters;
  readonly log: Logger;
  readonly grant: (client: string, grants: readonly PolicyGrant[]) => void;
}

/** A reason if a completed sequence is refused; undefined otherwise (progress, or granted). */
export function sequenceKnock(
  p: CapturedPacket,
  atMs: number,
  ctx: SequenceKnockContext,
): KnockReject | undefined {
  const knock = { protocol: p.protocol, port: p.dstPort };
  const index = ctx.candidates.index;
  const advance = ctx.tracker.knock(p.srcAddress, knock, atMs, index);
  if (advance.reset) ctx.counters.add(`sequence-reset-${advance.reset}`);
  switch (advance.outcome) {
    case 'started':
      ctx.counters.add('sequence-started');
      return undefined;
    case 'advanced':
      ctx.counters.add('sequence-advanced');
      return undefined;
    case 'noise':
      // A wrong port while this source has a sequence in progress: not progress, no reset.
      ctx.counters.add('sequence-noise');
      return undefined;
    case 'retransmit':
      return undefined;
    case 'ignored':
      if (index.startingWith(knock).length > 0) ctx.counters.add('sequence-burned');
      return undefined;
    case 'complete':
      break;
  }
  const done = advance.completed;
  const target = done ? ctx.candidates.target(done.id) : undefined;
  if (!done || !target) return 'client'; // a candidate of a client removed by a reload
  ctx.counters.add('sequence-complete');
  const standing = clientStanding(target.client, atMs);
  if (standing) return standing;
  const burnedUntil = ctx.candidates.burnedUntilMs(target.step);
  // Burned and forgotten, maybe: a damaged store, or the clock set back after a prune.
  if (ctx.store.isSequenceForgotten(burnedUntil)) return 'forgotten';
  try {
    ctx.store.burn(done.id, burnedUntil);
  } catch (err) {
    ctx.log.error({ err }, 'replay store write failed; sequence refused');
    return 'store';
  }
  const policy = evaluateSequencePolicy(target.client, target.service, p.srcAddress, atMs, ctx.config);
  if (!policy.ok) return policy.reason;
  ctx.grant(target.client.name, policy.grants);
  return undefined;
}
