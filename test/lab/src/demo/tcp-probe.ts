/**
 * "Can this host open a TCP connection to that port?", asked the way a user would:
 * `nc -zv -w 1 ADDRESS PORT` (netcat-openbsd) run on the lab host, with its real output.
 *
 *   connected   Connection to 192.0.2.1 22 port [tcp/ssh] succeeded!
 *   dropped     nc: connect to 192.0.2.1 port 22 (tcp) timed out: Operation now in progress
 *   refused     nc: connect to 192.0.2.1 port 50001 (tcp) failed: Connection refused
 */
import type { HostRef, Lab } from '../lab/index.js';

export type ProbeOutcome = 'connected' | 'dropped' | 'refused' | 'failed';

export interface Probe {
  readonly outcome: ProbeOutcome;
  /** The command line, as typed. */
  readonly command: string;
  /** nc's output (it writes its verdict to stderr). */
  readonly output: string;
  readonly ms: number;
}

/** nc's own connect timeout, in seconds: a dropped SYN costs this long. */
export const PROBE_WAIT_S = 1;
const EXEC_TIMEOUT_MS = 5000;

export function ncCommand(address: string, port: number): string {
  return `nc -zv -w ${PROBE_WAIT_S} ${address} ${port}`;
}

/** Classifies nc's exit code and message. */
export function probeOutcome(code: number | null, output: string): ProbeOutcome {
  if (code === 0) return 'connected';
  if (/timed out/i.test(output)) return 'dropped';
  if (/refused/i.test(output)) return 'refused';
  return 'failed';
}

export async function probe(lab: Lab, from: HostRef, address: string, port: number): Promise<Probe> {
  const command = ncCommand(address, port);
  const r = await lab.exec(from, command.split(' '), { timeoutMs: EXEC_TIMEOUT_MS });
  const output = `${r.stdout}${r.stderr}`.trim();
  return { outcome: r.timedOut ? 'failed' : probeOutcome(r.code, output), command, output, ms: r.ms };
}

const WORDS: Record<ProbeOutcome, string> = {
  connected: 'connected',
  dropped: 'no answer (dropped)',
  refused: 'refused (reset)',
  failed: 'probe failed',
};

/** `attacker 192.0.2.3 → 192.0.2.1:22: no answer (dropped)`. */
export function describeProbe(
  fromName: string,
  fromAddress: string,
  to: string,
  port: number,
  p: Probe,
): string {
  return `${fromName} ${fromAddress} → ${to}:${port}: ${WORDS[p.outcome]}`;
}
