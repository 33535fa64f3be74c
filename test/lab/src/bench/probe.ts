/**
 * The parent's side of the open-latency prober (./probe-agent.ts): started once in the client's
 * namespace, then `open(...)` per sample. Replies are matched by id; every call is bounded.
 */
import type { Lab, LabProcess } from '../lab/index.js';
import type {
  OpenReply,
  OpenRequest,
  ProbeReply,
  ProbeRequest,
  RunReply,
  RunRequest,
} from './probe-protocol.js';

const PROBER_SCRIPT = new URL('./probe-agent.js', import.meta.url).pathname;
const READY_TIMEOUT_MS = 5000;
const REPLY_MARGIN_MS = 3000;

type Body<T> = T extends unknown ? Omit<T, 'id'> : never;
interface Pending {
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Prober {
  private readonly proc: LabProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private constructor(proc: LabProcess) {
    this.proc = proc;
    proc.onLine((line, stream) => {
      if (stream === 'stdout') this.onReply(line);
    });
    void proc.exited.then((exit) => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`prober exited (${exit.code ?? exit.signal})\n${proc.tail()}`));
      }
      this.pending.clear();
    });
  }

  static async start(lab: Lab, host: string): Promise<Prober> {
    const proc = lab.spawn(host, [process.execPath, PROBER_SCRIPT]);
    await proc.waitForLine(/^\{"ready":true/, READY_TIMEOUT_MS, 'stdout');
    return new Prober(proc);
  }

  open(req: Omit<OpenRequest, 'id' | 'cmd'>): Promise<OpenReply> {
    return this.call({ ...req, cmd: 'open' }, req.timeoutMs);
  }

  /** True if a TCP connect from `source` is accepted within `timeoutMs`. */
  async isOpen(source: string, host: string, port: number, timeoutMs: number): Promise<boolean> {
    const req: Body<ProbeRequest> = { cmd: 'probe', source, host, port, timeoutMs };
    const r = await this.call<ProbeReply>(req, timeoutMs);
    return r.open;
  }

  /** Runs `argv` inside the prober's namespace; `ms` is spawn → exit. */
  run(argv: string[], timeoutMs: number): Promise<RunReply> {
    return this.call({ cmd: 'run', argv, timeoutMs }, timeoutMs);
  }

  async stop(): Promise<void> {
    this.proc.endInput();
    await this.proc.kill('SIGTERM', 500);
  }

  private call<T>(
    req: Body<OpenRequest> | Body<ProbeRequest> | Body<RunRequest>,
    timeoutMs: number,
  ): Promise<T> {
    if (!this.proc.running) return Promise.reject(new Error('prober is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`prober: no reply to ${req.cmd} within ${timeoutMs} ms + margin`));
      }, timeoutMs + REPLY_MARGIN_MS);
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject, timer });
      this.proc.write(JSON.stringify({ id, ...req }) + '\n');
    });
  }

  private onReply(line: string): void {
    let msg: { id?: unknown };
    try {
      msg = JSON.parse(line) as { id?: unknown };
    } catch {
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    const { id: _id, ...body } = msg;
    p.resolve(body);
  }
}
