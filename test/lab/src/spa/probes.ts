/**
 * Bounded waits and probes for the end-to-end scenarios: "can this host reach that port",
 * "wait until it cannot", "which reason did the daemon give for the packet I just sent".
 * Every wait has a deadline; polling rather than fixed sleeps.
 */
import type { Agent } from '../lab/index.js';
import { type ServerLog, type SpaLab, sleep } from './fixture.js';

/** A guarded port drops (no RST), so a closed probe costs its whole timeout: keep it short. */
export const CLOSED_PROBE_MS = 400;

/** Polls `probe` until it returns something other than undefined/false, or throws at the deadline. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await probe();
    if (r !== undefined && r !== false) return r;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** One TCP connect from the agent's host: true if it succeeds within `timeoutMs`. */
export async function reaches(
  agent: Agent,
  address: string,
  port: number,
  timeoutMs = 1000,
): Promise<boolean> {
  return (await agent.connect(address, port, timeoutMs)).ok;
}

/** Waits until connects from the agent's host fail (the grant is gone); returns when it happened. */
export async function waitClosed(
  agent: Agent,
  address: string,
  port: number,
  timeoutMs: number,
): Promise<number> {
  await until(`[${address}]:${port} to close for ${agent.host}`, timeoutMs, async () => {
    return !(await reaches(agent, address, port, CLOSED_PROBE_MS));
  });
  return Date.now();
}

export interface Rejection {
  reason: string;
  source: string;
  port: number;
}

function asRejection(l: ServerLog): Rejection | undefined {
  if (l.msg !== 'knock rejected') return undefined;
  const p = l.packet as { source?: unknown; port?: unknown } | undefined;
  if (typeof l.reason !== 'string' || typeof p?.source !== 'string') return undefined;
  return { reason: l.reason, source: p.source, port: Number(p.port) };
}

/** Index into the current daemon's log, to wait for lines after it. */
export function logMark(spa: SpaLab): number {
  return spa.logs().length;
}

/** Waits for a log line after `mark` matching `match`. */
export async function waitForLogAfter(
  spa: SpaLab,
  mark: number,
  match: (l: ServerLog) => boolean,
  timeoutMs = 5000,
): Promise<ServerLog> {
  return until('a matching server log line', timeoutMs, () => spa.logs().slice(mark).find(match)).catch(
    (err: Error) => {
      throw new Error(`${err.message}; last lines:\n${spa.server?.stdout.slice(-8).join('\n')}`);
    },
  );
}

/** The first rejection logged after `mark` for a packet from `source`. */
export async function waitForRejection(
  spa: SpaLab,
  mark: number,
  source: string,
  timeoutMs = 5000,
): Promise<Rejection> {
  const line = await waitForLogAfter(spa, mark, (l) => asRejection(l)?.source === source, timeoutMs);
  return asRejection(line)!;
}

/** Every grant logged after `mark` (optionally for one address). */
export function grantsAfter(spa: SpaLab, mark: number, address?: string): ServerLog[] {
  return spa
    .logs()
    .slice(mark)
    .filter((l) => l.msg === 'grant' && (address === undefined || l.address === address));
}

/** `spa-server revoke ADDRESS` for each address; throws if the command fails. */
export async function revokeGrants(spa: SpaLab, ...addresses: string[]): Promise<void> {
  for (const a of addresses) {
    const r = await spa.serverCli(['revoke', a]);
    if (r.code !== 0) throw new Error(`spa-server revoke ${a} exited ${r.code}: ${r.stderr}`);
  }
}
