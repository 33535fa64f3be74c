/** Deterministic fixtures for the shared tests: fixed keys, a fixed clock, a fixed server. */
import {
  type ClientKeys,
  DEFAULT_TIME_WINDOW,
  deriveClientKeys,
  deriveServerKeys,
  type KnockPayload,
  LookupMask,
  LookupTable,
  lookupSteps,
  prepareClient,
  sealKnock,
  type VerifyContext,
} from '../src/index.js';

export const NOW = 1_800_000_000_000; // 2027-01-15T08:00:00Z
export const STEP = 30;
export const clientSecret = new Uint8Array(32).fill(0x11);
export const serverSecret = new Uint8Array(32).fill(0x22);
export const serverId = new Uint8Array(16).fill(0x33);
export const clientKeys: ClientKeys = deriveClientKeys(clientSecret);
export const serverKeys = deriveServerKeys(serverSecret);
export const mask = new LookupMask(serverKeys.header);

export function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

export function payload(over: Partial<KnockPayload> = {}): KnockPayload {
  return {
    version: 1,
    timestampMs: NOW,
    oneTimeId: bytes(16, 0x44),
    serverId,
    durationSeconds: 0,
    target: { kind: 'source' },
    access: [{ kind: 'service', name: 'ssh' }],
    ...over,
  };
}

export function seal(
  over: Partial<KnockPayload> = {},
  nonce = bytes(24, 0x55),
  keys = clientKeys,
): Uint8Array {
  return sealKnock({ keys, mask, stepSeconds: STEP, payload: payload(over), nonce });
}

export function context(nowMs = NOW, keys = clientKeys): VerifyContext<string> {
  const table = new LookupTable<string>();
  const { first, last } = lookupSteps(nowMs, STEP, DEFAULT_TIME_WINDOW);
  for (let s = first; s <= last; s++) table.addStep(s, [{ client: 'alice', lookupKey: keys.lookup }]);
  const prepared = prepareClient(keys);
  return {
    mask,
    table,
    prepared: () => prepared,
    serverId,
    stepSeconds: STEP,
    window: DEFAULT_TIME_WINDOW,
    nowMs,
  };
}
