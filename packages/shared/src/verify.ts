/**
 * The pure part of the server's verification, in the order of docs/protocol.md §5,
 * cheapest first: length → client lookup → knock tag → decrypt → version → server id
 * → step binding → time window. Replay and policy need server state and follow in the
 * server. Never throws on packet bytes.
 */
import { equalConstantTime } from './bytes.js';
import type { LookupMask } from './lookup.js';
import type { LookupTable } from './lookup-table.js';
import { openKnock, type PreparedClient } from './packet.js';
import type { KnockPayload } from './payload.js';
import type { Verdict } from './reasons.js';
import { checkTimestamp, type TimeWindow } from './replay-window.js';
import { timeStep } from './step.js';
import { PACKET_LENGTH } from './wire.js';

export interface VerifyContext<C> {
  readonly mask: LookupMask;
  readonly table: LookupTable<C>;
  readonly prepared: (client: C) => PreparedClient;
  readonly serverId: Uint8Array;
  readonly stepSeconds: number;
  readonly window: TimeWindow;
  readonly nowMs: number;
}

export interface VerifiedKnock<C> {
  readonly client: C;
  readonly step: number;
  readonly payload: KnockPayload;
}

/**
 * The verdict, with one addition: a knock that is authentic but outside the time window says
 * whose it is and by how much its clock is off (`skewMs` = its timestamp minus `nowMs`;
 * positive = the client is ahead), so the server can tell its admin about a wrong clock.
 */
export type KnockVerdict<C> =
  | Verdict<VerifiedKnock<C>>
  | { ok: false; reason: 'stale' | 'future'; client: C; skewMs: number };

/** At most this many candidates are tried (only a 64-bit tag collision gives more than one). */
const MAX_CANDIDATES = 2;

export function verifyKnock<C>(packet: Uint8Array, ctx: VerifyContext<C>): KnockVerdict<C> {
  if (packet.length !== PACKET_LENGTH) return { ok: false, reason: 'length' };
  const hits = ctx.table.find(ctx.mask.unmask(packet));
  if (hits.length === 0) return { ok: false, reason: 'client' };
  let last: Verdict<VerifiedKnock<C>> = { ok: false, reason: 'mac' };
  for (let i = 0; i < hits.length && i < MAX_CANDIDATES; i++) {
    const hit = hits[i]!;
    const opened = openKnock(packet, ctx.prepared(hit.client));
    if (!opened.ok) {
      last = opened;
      continue;
    }
    const payload = opened.value;
    if (!equalConstantTime(payload.serverId, ctx.serverId)) return { ok: false, reason: 'server' };
    // The lookup tag was made for the step of the packet's own timestamp.
    if (timeStep(payload.timestampMs, ctx.stepSeconds) !== hit.step)
      return { ok: false, reason: 'malformed' };
    const fresh = checkTimestamp(payload.timestampMs, ctx.nowMs, ctx.window);
    if (fresh !== 'ok')
      return { ok: false, reason: fresh, client: hit.client, skewMs: payload.timestampMs - ctx.nowMs };
    return { ok: true, value: { client: hit.client, step: hit.step, payload } };
  }
  return last;
}

/**
 * The steps a server's lookup table holds at `nowMs`: those its time window touches, plus
 * one on each side, so that a knock just outside the window is told apart as `stale` or
 * `future` (a clue for a user with a wrong clock) rather than an unknown `client`.
 */
export function lookupSteps(
  nowMs: number,
  stepSeconds: number,
  w: TimeWindow,
): { first: number; last: number } {
  return {
    first: Math.max(0, timeStep(Math.max(0, nowMs - w.maxPastMs), stepSeconds) - 1),
    last: timeStep(nowMs + w.maxFutureMs, stepSeconds) + 1,
  };
}
