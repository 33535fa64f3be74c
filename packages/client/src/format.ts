/** Text for people: the lines `open`, `knock` and `proxy` print. */
import { formatSeconds } from './duration.js';
import type { OpenResult } from './open-service.js';

export function formatElapsed(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * `ssh on web1 is open for the server's default time (opened in 2.4 ms)`. The client knows what
 * it asked for, not what the server granted: a duration is reported as asked, with the cap.
 */
export function describeResult(r: OpenResult): string {
  const what = `${r.service} on ${r.name}`;
  const window = r.durationSeconds ? formatSeconds(r.durationSeconds) : "the server's default time";
  const asked = r.durationSeconds ? `; asked for ${window}, the server grants at most its max_duration` : '';
  const signed = r.signedBy ? `, signed by ${r.signedBy}` : '';
  if (r.status === 'open') {
    const time = r.durationSeconds ? '' : ` for ${window}`;
    return `${what} is open${time} (opened in ${formatElapsed(r.openedInMs ?? 0)}${signed})${asked}`;
  }
  if (r.status === 'already-open') {
    return `${what} was already open before the knock (an earlier grant, or the port is not guarded); knock sent anyway${signed}${asked}`;
  }
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
