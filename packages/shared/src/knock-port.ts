/**
 * Rotating knock port (docs/protocol.md §7), TOTP-style: for step T the SPA destination
 * port is lo + (u32be(HMAC-SHA256(port key, "spa/v1 port" ‖ u64 T)[0..4]) mod (hi - lo + 1)).
 * Servers watch T-1, T and T+1 so a client whose clock is a step off still gets through.
 * A fixed port is the other mode. Service ports never collide with knock ports because
 * configurations with a service inside a knock or sequence range are refused.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, u64be, utf8 } from './bytes.js';
import { assertBytes, assertInteger, SpaError } from './errors.js';

export type PortRange = readonly [number, number];

export type KnockPortMode =
  | { readonly mode: 'rotating'; readonly range: PortRange }
  | { readonly mode: 'fixed'; readonly port: number };

export const DEFAULT_KNOCK_RANGE: PortRange = [40000, 49999];
export const DEFAULT_SEQUENCE_RANGE: PortRange = [50000, 59999];

const PORT_LABEL = utf8('spa/v1 port');

export function assertRange(range: PortRange, label: string, minSize = 1): void {
  assertInteger(range[0], 1, 65535, `${label} low`);
  assertInteger(range[1], 1, 65535, `${label} high`);
  if (range[1] - range[0] + 1 < minSize) {
    throw new SpaError(
      'bad-argument',
      `${label}: ${range[0]}-${range[1]} must hold at least ${minSize} ports`,
    );
  }
}

export function inRange(port: number, range: PortRange): boolean {
  return port >= range[0] && port <= range[1];
}

export function rangesOverlap(a: PortRange, b: PortRange): boolean {
  return a[0] <= b[1] && b[0] <= a[1];
}

export function knockPort(portKey: Uint8Array, step: number, mode: KnockPortMode): number {
  if (mode.mode === 'fixed') {
    assertInteger(mode.port, 1, 65535, 'knock port');
    return mode.port;
  }
  assertBytes(portKey, 32, 'port key');
  assertInteger(step, 0, Number.MAX_SAFE_INTEGER, 'step');
  assertRange(mode.range, 'knock port range');
  const mac = hmac(sha256, portKey, concat(PORT_LABEL, u64be(step)));
  const word = new DataView(mac.buffer, mac.byteOffset, 4).getUint32(0);
  return mode.range[0] + (word % (mode.range[1] - mode.range[0] + 1));
}

/** Distinct knock ports of steps T-1, T, T+1: what a server's capture filter must let in. */
export function watchedKnockPorts(portKey: Uint8Array, step: number, mode: KnockPortMode): number[] {
  const ports = [step - 1, step, step + 1].filter((s) => s >= 0).map((s) => knockPort(portKey, s, mode));
  return [...new Set(ports)].sort((a, b) => a - b);
}
