/**
 * JSON-lines protocol between the bench (parent) and its open-latency prober, which runs inside
 * the client's namespace. One request per line on stdin, one reply per line on stdout, matched
 * by `id`; the prober's first line is `{"ready":true}`.
 *
 * One `open` measures one sample with the same definition for every system:
 *   t0 = just before the SPA datagram (bytes made by the parent) is handed to the kernel;
 *   then a TCP connect to the guarded port every `fastIntervalMs` (spinning) during the first
 *   `fastWindowMs`, every `intervalMs` after that (each attempt from `source`);
 *   end = the first attempt's `connect` event. `ms` = end - t0.
 */

export interface OpenRequest {
  id: number;
  cmd: 'open';
  /** Local address both the datagram and the probes are sent from. */
  source: string;
  /** Where the SPA datagram goes. */
  knockHost: string;
  knockPort: number;
  /** The datagram, hex. */
  hex: string;
  /** The guarded TCP service. */
  host: string;
  port: number;
  intervalMs: number;
  fastIntervalMs: number;
  fastWindowMs: number;
  timeoutMs: number;
}

/** One connect attempt: is the port open for `source` right now? */
export interface ProbeRequest {
  id: number;
  cmd: 'probe';
  source: string;
  host: string;
  port: number;
  timeoutMs: number;
}

/** Runs a command inside the namespace and times it from spawn to exit (no `ip netns exec` cost). */
export interface RunRequest {
  id: number;
  cmd: 'run';
  argv: string[];
  timeoutMs: number;
}

export type ProberRequest = OpenRequest | ProbeRequest | RunRequest;

export type OpenReply =
  | { ok: true; ms: number; attempts: number }
  | { ok: false; error: string; attempts: number; message?: string };

export type ProbeReply = { open: boolean; error?: string };

export type RunReply = { ms: number; code: number | null; signal: string | null; stderr: string };

/** Connect attempts older than this are dropped: a SYN that got no answer within it will only be
 * retried by the kernel a second later, by which time a newer attempt has long got through. */
export const ATTEMPT_LIFETIME_MS = 50;
export const MAX_PROBER_TIMEOUT_MS = 30_000;
