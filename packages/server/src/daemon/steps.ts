/**
 * What changes with the step: the watched SPA ports and the capture filter. Pure.
 *
 * SPA: the knock ports of steps T-1, T and T+1 (`watchedKnockPorts`), so when the step rolls
 * the new filter still holds the port of the step that just ended: no gap at the boundary.
 *
 * Sequences: the filter passes the whole sequence port range, not only the ports of the
 * current candidates. The kernel filter then tells an observer nothing about which ports are
 * live, and a scanner sweeping the range hits wrong ports, which resets its progress (the
 * `recent`-style rule in advanceSequence): a sweep cannot complete a sequence by luck.
 */
import { type KnockPortMode, watchedKnockPorts } from '@spa/shared';
import { buildFilter, type KnockProtocol } from '../capture/bpf.js';
import type { ServerConfig, ServiceDef } from '../config/types.js';
import type { GuardedPort } from '../firewall/firewall.js';

export function watchedPorts(portKey: Uint8Array, step: number, knock: KnockPortMode): number[] {
  return watchedKnockPorts(portKey, step, knock);
}

export function sequenceProtocols(config: Pick<ServerConfig, 'sequence'>): KnockProtocol[] {
  const p = config.sequence?.protocol;
  if (p === undefined) return [];
  return p === 'mixed' ? ['tcp', 'udp'] : [p];
}

export function captureFilter(config: Pick<ServerConfig, 'sequence'>, spaPorts: readonly number[]): string {
  const seq = config.sequence;
  return buildFilter({
    spaPorts,
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
