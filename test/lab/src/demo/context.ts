/**
 * What every step of the demo works with, and the few ways it acts: run a command on a lab
 * host and show it with its real output; probe a port and check the outcome.
 */
import type { ExecResult, LabHost } from '../lab/index.js';
import type { SpaLab } from '../spa/fixture.js';
import type { ServerLog } from './server-log.js';
import { describeProbe, ncCommand, type Probe, type ProbeOutcome, probe } from './tcp-probe.js';
import type { Transcript } from './transcript.js';

/** The guarded services of the demo's server. */
export const SSH = { name: 'ssh', port: 22 } as const;
export const WEB = { name: 'web', port: 80 } as const;
/** The server's default grant in the demo (short, so expiry fits in the run). */
export const GRANT_SECONDS = 5;

export interface Demo {
  readonly spa: SpaLab;
  readonly t: Transcript;
  readonly log: ServerLog;
  readonly server: LabHost;
  readonly client: LabHost;
  readonly attacker: LabHost;
}

export type HostName = 'server' | 'client' | 'attacker';

function shownOutput(r: ExecResult): string {
  const text = `${r.stdout}${r.stderr}`;
  return r.timedOut ? `${text}\n(killed: took too long)` : text;
}

/** `client$ spa-client ARGS`: runs it on the host, prints the command and its real output. */
export async function spaClient(d: Demo, host: HostName, args: string[]): Promise<ExecResult> {
  d.t.command(host, `spa-client ${args.join(' ')}`);
  const r = await d.spa.clientCli(host, args);
  d.t.output(shownOutput(r));
  return r;
}

/** `server$ spa-server ARGS`: the same on the server host. */
export async function spaServer(d: Demo, args: string[]): Promise<ExecResult> {
  d.t.command('server', `spa-server ${args.join(' ')}`);
  const r = await d.spa.serverCli(args);
  d.t.output(shownOutput(r));
  return r;
}

/** A shell command line on a host (`sh -c`), shown with its real output. */
export async function shell(d: Demo, host: HostName, line: string, timeoutMs = 10_000): Promise<ExecResult> {
  d.t.command(host, line);
  const r = await d.spa.lab.exec(host, ['sh', '-c', line], { timeoutMs });
  d.t.output(shownOutput(r));
  return r;
}

/**
 * `HOST$ nc -zv -w 1 SERVER PORT`, its output, and a check that the outcome is `expect`;
 * `because` is added to the verdict when it holds.
 */
export async function probeCheck(
  d: Demo,
  from: HostName,
  port: number,
  expect: ProbeOutcome,
  because = '',
): Promise<Probe> {
  const host = d.spa.lab.host(from);
  d.t.command(from, ncCommand(d.server.ipv4, port));
  const p = await probe(d.spa.lab, from, d.server.ipv4, port);
  d.t.output(p.output);
  const text = describeProbe(from, host.ipv4, d.server.ipv4, port, p);
  const ok = p.outcome === expect;
  d.t.check(ok, ok ? `${text}${because}` : `${text}, expected ${expect}`);
  return p;
}

/** `opened in 40 ms` from spa-client's success line. */
export function openedIn(stdout: string): string | undefined {
  return /opened in ([\d.]+ m?s)/.exec(stdout)?.[1];
}
