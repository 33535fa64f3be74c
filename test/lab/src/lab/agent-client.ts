/**
 * The lab side of an agent: starts `node agent.js` inside a namespace and turns the JSON-lines
 * protocol into typed methods. `const a = await lab.agent('client'); await a.connect('192.0.2.1', 22, 500)`.
 */
import type {
  AgentReply,
  AgentRequest,
  ConnectResult,
  EchoResult,
  HoldResult,
  ListenResult,
  ReceivedResult,
  SendResult,
} from './agent-protocol.js';
import { LabError } from './errors.js';
import type { LabProcess, ProcessExit } from './process.js';

/** Extra time the parent grants an agent beyond the operation's own timeout before giving up on it. */
const REPLY_MARGIN_MS = 3000;
const READY_TIMEOUT_MS = 5000;
export const AGENT_SCRIPT = new URL('./agent.js', import.meta.url).pathname;

type Body<T> = T extends unknown ? Omit<T, 'id'> : never;
type Pending = { resolve: (r: AgentReply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

export class Agent {
  readonly host: string;
  private readonly proc: LabProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private constructor(host: string, proc: LabProcess) {
    this.host = host;
    this.proc = proc;
    proc.onLine((line, stream) => {
      if (stream === 'stdout') this.onReply(line);
    });
    void proc.exited.then((exit) => {
      const why = `agent on ${host} exited (${exit.code ?? exit.signal})\n${proc.tail()}`;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new LabError('agent-failed', why));
      }
      this.pending.clear();
    });
  }

  /** Wraps an already spawned `node agent.js` process and waits for its ready line. */
  static async attach(host: string, proc: LabProcess): Promise<Agent> {
    await proc.waitForLine(/^\{"ready":true/, READY_TIMEOUT_MS, 'stdout');
    return new Agent(host, proc);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Settles when the agent process has exited. */
  get exited(): Promise<ProcessExit> {
    return this.proc.exited;
  }

  /** TCP connect; `{ok:false, error:'ECONNREFUSED'|'timeout'|...}` when it does not succeed. */
  connect(
    host: string,
    port: number,
    timeoutMs = 1000,
    opts: { banner?: boolean } = {},
  ): Promise<ConnectResult> {
    return this.call({ cmd: 'connect', host, port, timeoutMs, banner: opts.banner === true }, timeoutMs);
  }

  /** Opens a TCP connection and keeps it; use the handle with `echo` and `close`. */
  hold(host: string, port: number, timeoutMs = 1000): Promise<HoldResult> {
    return this.call({ cmd: 'hold', host, port, timeoutMs }, timeoutMs);
  }

  /** Writes `data` on a held connection and waits until the echo service sends it back. */
  echo(handle: number, data: string, timeoutMs = 1000): Promise<EchoResult> {
    return this.call({ cmd: 'echo', handle, data, timeoutMs }, timeoutMs);
  }

  /** Closes a held connection or a listener. */
  close(handle: number): Promise<SendResult> {
    return this.call({ cmd: 'close', handle }, 1000);
  }

  /** Sends one UDP datagram (payload as bytes or hex), optionally from a fixed source port. */
  udp(
    host: string,
    port: number,
    payload: Uint8Array | string,
    opts: { sourcePort?: number; timeoutMs?: number } = {},
  ): Promise<SendResult> {
    const hex = typeof payload === 'string' ? payload : Buffer.from(payload).toString('hex');
    const timeoutMs = opts.timeoutMs ?? 1000;
    const req = { cmd: 'udp' as const, host, port, hex, timeoutMs };
    return this.call(
      opts.sourcePort === undefined ? req : { ...req, sourcePort: opts.sourcePort },
      timeoutMs,
    );
  }

  /** Starts a TCP service (banner `spa-lab service PORT`, then echo). Host `::` without ipv6Only is dual-stack. */
  listenTcp(
    port: number,
    host = '::',
    opts: { ipv6Only?: boolean; timeoutMs?: number } = {},
  ): Promise<ListenResult> {
    const timeoutMs = opts.timeoutMs ?? 1000;
    return this.call(
      { cmd: 'listenTcp', port, host, ipv6Only: opts.ipv6Only === true, timeoutMs },
      timeoutMs,
    );
  }

  /** Binds a UDP socket that records what it receives; read with `received`. */
  listenUdp(port: number, host = '0.0.0.0', timeoutMs = 1000): Promise<ListenResult> {
    return this.call({ cmd: 'listenUdp', port, host, timeoutMs }, timeoutMs);
  }

  /** Waits (bounded) for at least `count` datagrams on a UDP listener and returns all received so far. */
  received(handle: number, count = 1, timeoutMs = 1000): Promise<ReceivedResult> {
    return this.call({ cmd: 'received', handle, count, timeoutMs }, timeoutMs);
  }

  ping(): Promise<SendResult> {
    return this.call({ cmd: 'ping' }, 1000);
  }

  /** Closes stdin (the agent exits on EOF), killing it if it lingers. */
  async stop(): Promise<void> {
    this.proc.endInput();
    await this.proc.kill('SIGTERM', 500);
  }

  private call<T>(req: Body<AgentRequest>, timeoutMs: number): Promise<T> {
    if (!this.proc.running)
      return Promise.reject(new LabError('agent-failed', `agent on ${this.host} is not running`));
    const id = this.nextId++;
    return new Promise<AgentReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new LabError(
            'timeout',
            `agent on ${this.host}: no reply to ${req.cmd} within ${timeoutMs} ms + margin`,
          ),
        );
      }, timeoutMs + REPLY_MARGIN_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.proc.write(JSON.stringify({ id, ...req }) + '\n');
    }) as Promise<T>;
  }

  private onReply(line: string): void {
    let msg: AgentReply;
    try {
      msg = JSON.parse(line) as AgentReply;
    } catch {
      return; // not protocol output
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    const { id: _id, ...body } = msg;
    p.resolve(body as AgentReply);
  }
}
