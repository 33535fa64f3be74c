/**
 * What changes with the step: the watched SPA ports and the ports the capture filter admits.
 * Pure.
 *
 * SPA: the daemon accepts knocks on the ports of steps T-1, T and T+1 (`watchedKnockPorts`)
 * only, and the capture filter admits exactly those (`knockPortsOfSteps`, armed by
 * FilterHorizon at every step; a wider horizon T-1 .. T+K is possible, its extra ports refused
 * by the pipeline's port check, `port`, before any crypto).
 *
 * Sequences: the filter passes the whole sequence port range, not only the ports of the
 * current candidates. The kernel filter then tells an observer nothing about which ports are
 * live, and a scanner sweeping the range hits wrong ports: noise, of which a partial sequence
 * survives at most SEQUENCE_MAX_NOISE per knock (advanceSequence; docs/protocol.md §8.2).
 */
import { FWKNOP_CLIENT_MAX_WIRE_LENGTH, type KnockPortMode, knockPort, watchedKnockPorts } from '@spa/shared';
import { buildFilter, type KnockProtocol } from '../capture/index.js';
import type { ServerConfig, ServiceDef } from '../config/types.js';
import type { GuardedPort } from '../firewall/index.js';

export function watchedPorts(portKey: Uint8Array, step: number, knock: KnockPortMode): number[] {
  return watchedKnockPorts(portKey, step, knock);
}

/** Distinct knock ports of the steps `from`..`until` (inclusive, negative steps skipped), sorted. */
export function knockPortsOfSteps(
  portKey: Uint8Array,
  from: number,
  until: number,
  knock: KnockPortMode,
): number[] {
  const ports = new Set<number>();
  for (let s = Math.max(0, from); s <= until; s++) ports.add(knockPort(portKey, s, knock));
  return [...ports].sort((a, b) => a - b);
}

export function sequenceProtocols(config: Pick<ServerConfig, 'sequence'>): KnockProtocol[] {
  const p = config.sequence?.protocol;
  if (p === undefined) return [];
  return p === 'mixed' ? ['tcp', 'udp'] : [p];
}

/**
 * The UDP port fwknop clients send to, if it is captured: only when there are fwknop clients
 * at start (a restart-only setting, daemon/reload.ts).
 */
export function fwknopCapturePort(config: Pick<ServerConfig, 'fwknop'>): number | undefined {
  return config.fwknop.clients.size > 0 ? config.fwknop.port : undefined;
}

export function captureFilter(
  config: Pick<ServerConfig, 'sequence' | 'fwknop'>,
  spaPorts: readonly number[],
): string {
  const seq = config.sequence;
  const fwknop = fwknopCapturePort(config);
  return buildFilter({
    spaPorts,
    // No stock fwknop client builds a longer packet: the kernel drops those (issue 12).
    ...(fwknop === undefined
      ? {}
      : { cappedUdp: { port: fwknop, maxPayload: FWKNOP_CLIENT_MAX_WIRE_LENGTH } }),
    ...(seq ? { sequence: { ranges: [seq.range], protocols: sequenceProtocols(config) } } : {}),
  });
}

/** The ports the firewall guard closes: every service, once. */
export function guardedPorts(services: ReadonlyMap<string, ServiceDef>): GuardedPort[] {
  const out: GuardedPort[] = [];
  for (const s of services.values()) {
    if (!out.some((g) => g.protocol === s.protocol && g.port === s.port))
      out.push({ protocol: s.protocol, port: s.port });
  }
  return out.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}
