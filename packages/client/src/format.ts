/** Text for people: the lines `open`, `knock` and `proxy` print. */
import { formatSeconds } from './duration.js';
import type { OpenResult } from './open-service.js';

export function formatElapsed(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** `ssh on web1 is open for 30 s (opened in 2.4 ms)`. */
export function describeResult(r: OpenResult): string {
  const what = `${r.service} on ${r.name}`;
  const window = r.durationSeconds ? formatSeconds(r.durationSeconds) : "the server's default time";
  const signed = r.signedBy ? `, signed by ${r.signedBy}` : '';
  if (r.status === 'open')
    return `${what} is open for ${window} (opened in ${formatElapsed(r.openedInMs ?? 0)}${signed})`;
  const ports = [...new Set(r.knockPorts)].join(', ');
  if (r.protocol === 'udp') return `${what}: knock sent; ${r.port}/udp cannot be checked from here, try it`;
  const s = r.knockPorts.length > 1 ? 's' : '';
  return `${what}: sent to port${s} ${ports}, not waiting (asked for ${window})`;
}

export function resultJson(r: OpenResult): Record<string, unknown> {
  return {
    ok: true,
    status: r.status,
    name: r.name,
    service: r.service,
    host: r.host,
    address: r.address,
    protocol: r.protocol,
    port: r.port,
    durationSeconds: r.durationSeconds ?? null,
    openedInMs: r.openedInMs === undefined ? null : Math.round(r.openedInMs * 10) / 10,
    sends: r.knockPorts.length,
    knockPorts: r.knockPorts,
    signed: r.signedBy !== undefined,
    sshKey: r.signedBy ?? null,
  };
}
