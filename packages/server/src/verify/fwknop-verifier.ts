/**
 * The server's side of fwknop compatibility (docs/fwknop.md): which `[fwknop_clients]` entry
 * made a packet, and what it says. fwknop packets carry no client id, so, like fwknopd, the
 * clients whose allowed networks hold the packet's source are tried in file order, each with
 * one HMAC in constant time before anything is decrypted; the first match decides. A forged
 * packet therefore costs one HMAC per candidate client (the native protocol costs none), which
 * is why these clients should be few and narrowed by `allowed_sources`.
 *
 * Then, in the order of the native path: decrypt and decode (shared), time window. Replay,
 * policy and the firewall follow in the pipeline, as for native knocks.
 */
import {
  type FwknopMessage,
  type FwknopReason,
  fwknopBodyLength,
  type IpAddress,
  openFwknop,
  type PreparedFwknopClient,
  prepareFwknopClient,
  type RejectReason,
  type TimeWindow,
} from '@spa/shared';
import type { FwknopClientDef } from '../config/types.js';
import { sourceAllowed } from '../policy/index.js';

export interface FwknopKnock {
  readonly client: FwknopClientDef;
  readonly message: FwknopMessage;
}

export type FwknopVerdict =
  | { readonly ok: true; readonly value: FwknopKnock }
  | { readonly ok: false; readonly reason: FwknopReason | Extract<RejectReason, 'stale' | 'future'> };

interface Candidate {
  readonly def: FwknopClientDef;
  readonly prepared: PreparedFwknopClient;
}

export class FwknopVerifier {
  readonly #clients: Candidate[];
  readonly #window: TimeWindow;

  constructor(clients: Iterable<FwknopClientDef>, window: TimeWindow) {
    // A revoked client is tried too (one more HMAC per packet): its knocks are refused as
    // policy-revoked after the HMAC, and the audit log can name the client.
    this.#clients = [...clients].map((def) => ({ def, prepared: prepareFwknopClient(def) }));
    this.#window = window;
  }

  get size(): number {
    return this.#clients.length;
  }

  /** True if `data` has the shape of the packets of some client (its HMAC's length). */
  hasShape(data: Uint8Array): boolean {
    return this.#clients.some((c) => fwknopBodyLength(data, c.prepared.macLength) >= 0);
  }

  /** Shape → HMAC (first matching client) → decrypt → decode → time window. Never throws. */
  verify(data: Uint8Array, source: IpAddress, nowMs: number): FwknopVerdict {
    let shaped = false;
    for (const c of this.#clients) {
      if (!sourceAllowed(c.def.allowedSources, source)) continue;
      const opened = openFwknop(data, c.prepared); // shape, then the HMAC in constant time
      if (!opened.ok) {
        if (opened.reason === 'fwknop-shape') continue; // not this client's digest length
        shaped = true;
        if (opened.reason === 'mac') continue;
        return { ok: false, reason: opened.reason };
      }
      const message = opened.value;
      const ageMs = nowMs - message.timestampSec * 1000;
      if (ageMs > this.#window.maxPastMs) return { ok: false, reason: 'stale' };
      if (-ageMs > this.#window.maxFutureMs) return { ok: false, reason: 'future' };
      return { ok: true, value: { client: c.def, message } };
    }
    // No HMAC matched. `mac` if the packet has the shape of some client's packets (whether or
    // not that client may knock from here), else `fwknop-shape`.
    shaped ||= this.hasShape(data);
    return { ok: false, reason: shaped ? 'mac' : 'fwknop-shape' };
  }
}
