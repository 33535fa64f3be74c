/**
 * JSON-lines protocol between the lab (parent) and an agent running inside a namespace.
 * One request per line on the agent's stdin, one reply per line on its stdout, matched by `id`.
 * The agent's first line is `{"ready":true,"pid":N}`. Every operation is bounded by `timeoutMs`.
 */

export type AgentRequest =
  | { id: number; cmd: 'ping' }
  | { id: number; cmd: 'connect'; host: string; port: number; timeoutMs: number; banner?: boolean }
  | { id: number; cmd: 'hold'; host: string; port: number; timeoutMs: number }
  | { id: number; cmd: 'echo'; handle: number; data: string; timeoutMs: number }
  | { id: number; cmd: 'close'; handle: number }
  | {
      id: number;
      cmd: 'udp';
      host: string;
      port: number;
      hex: string;
      sourcePort?: number;
      timeoutMs: number;
    }
  | { id: number; cmd: 'listenTcp'; port: number; host?: string; ipv6Only?: boolean; timeoutMs: number }
  | { id: number; cmd: 'listenUdp'; port: number; host: string; timeoutMs: number }
  | { id: number; cmd: 'received'; handle: number; count: number; timeoutMs: number };

export type AgentCommand = AgentRequest['cmd'];

/** Error codes: node's errno codes (ECONNREFUSED, EHOSTUNREACH, EADDRINUSE, ...) or one of these. */
export type AgentErrorCode = 'timeout' | 'closed' | 'no-such-handle' | 'bad-request' | (string & {});

export interface AgentFailure {
  ok: false;
  error: AgentErrorCode;
  message?: string;
}

export type ConnectResult = { ok: true; ms: number; banner?: string } | AgentFailure;
export type HoldResult = { ok: true; handle: number; ms: number } | AgentFailure;
export type EchoResult = { ok: true; ms: number } | AgentFailure;
export type SendResult = { ok: true } | AgentFailure;
export type ListenResult = { ok: true; handle: number; port: number } | AgentFailure;

export interface Datagram {
  address: string;
  port: number;
  hex: string;
}
export type ReceivedResult = { ok: true; datagrams: Datagram[] } | AgentFailure;

export type AgentReply = { id: number } & (
  | ConnectResult
  | HoldResult
  | EchoResult
  | SendResult
  | ListenResult
  | ReceivedResult
);

/** Banner the TCP service writes on accept, before echoing. */
export const serviceBanner = (port: number): string => `spa-lab service ${port}`;
/** Upper bound on any single operation, whatever the caller asks for. */
export const MAX_OP_TIMEOUT_MS = 60_000;
