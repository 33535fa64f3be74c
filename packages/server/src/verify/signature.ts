/**
 * Two-factor knocks, server side (docs/protocol.md §12): after the replay check and before the
 * one-time id is recorded, a client with an `ssh_key` (or every client, with [policy]
 * require_ssh_key) must show a valid signature by that key over the knock. Cheap refusals
 * first (no key, no signature), then the per-client budget, then the public-key check.
 * A replayed packet never gets here; a refused one is not recorded, so costs no disk write.
 */
import { checkSignedKnock, type KnockPayload, NONCE_LENGTH, type SignatureProblem } from '@spa/shared';
import type { ClientDef, ServerConfig } from '../config/types.js';
import { type BudgetSettings, SignatureBudget } from './signature-budget.js';

/** The reasons this step refuses with (listed with the others in pipeline/reasons.ts). */
export type SignatureReject = 'signature' | 'signature-budget';

export type SignatureVerdict =
  | { readonly ok: true; readonly signed: boolean }
  | {
      readonly ok: false;
      readonly reason: SignatureReject;
      readonly problem: SignatureProblem | 'no-key' | 'budget';
    };

export class SignatureGate {
  readonly #budget: SignatureBudget;

  constructor(budget?: BudgetSettings) {
    this.#budget = new SignatureBudget(budget);
  }

  /**
   * `packet` is the whole datagram (its nonce is signed), `payload` its decoded, authentic,
   * fresh, not-yet-seen content. Never throws on packet bytes.
   */
  check(
    client: ClientDef,
    packet: Uint8Array,
    payload: KnockPayload,
    atMs: number,
    config: Pick<ServerConfig, 'policy'>,
  ): SignatureVerdict {
    const key = client.sshKey;
    if (!key) {
      if (config.policy.requireSshKey) return { ok: false, reason: 'signature', problem: 'no-key' };
      // No key to check a signature with: the knock stands on its HMAC alone, as before.
      return { ok: true, signed: false };
    }
    if (!payload.signature) return { ok: false, reason: 'signature', problem: 'missing' };
    if (!this.#budget.take(client.name, atMs))
      return { ok: false, reason: 'signature-budget', problem: 'budget' };
    const verdict = checkSignedKnock(key, packet.subarray(0, NONCE_LENGTH), payload, {
      requireTouch: client.requireTouch === true,
    });
    if (verdict !== 'ok') return { ok: false, reason: 'signature', problem: verdict };
    return { ok: true, signed: true };
  }

  /** Forget budgets of clients that are gone (after a reload). */
  retain(config: Pick<ServerConfig, 'clients'>): void {
    this.#budget.retain(new Set(config.clients.keys()));
  }
}
