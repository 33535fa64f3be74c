/**
 * Commands inside a namespace: `runInNamespace` for short ones (bounded by a timeout) and
 * `LabProcess` for long-lived ones, whose output is kept as lines and can be waited on.
 * Both run `ip netns exec NS argv...` directly, never through a shell.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { inNamespace } from '@spa/netns';
import { LabError } from './errors.js';

/** `[ip, ['netns', 'exec', ns, ...argv]]`, the command and arguments for `spawn`. */
function nsSpawn(ns: string, argv: readonly string[]): [string, string[]] {
  const [bin, ...args] = inNamespace(ns, argv);
  return [bin, args];
}

export interface ExecOptions {
  /** Killed (SIGKILL) after this long; default 10 s. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed. */
  input?: string | Uint8Array;
  /** Throw a LabError if the command does not exit with status 0. */
  check?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

const DEFAULT_EXEC_TIMEOUT_MS = 10_000;

export function runInNamespace(
  ns: string,
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(...nsSpawn(ns, argv), { env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      stderr += String(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const r: ExecResult = { code, signal, stdout, stderr, timedOut, ms: performance.now() - started };
      if (opts.check && code !== 0) {
        const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited ${code ?? signal}`;
        reject(new LabError('exec-failed', `[${ns}] ${argv.join(' ')} ${why}: ${stderr.trim()}`));
      } else resolve(r);
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

export type Stream = 'stdout' | 'stderr';
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}
export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** Lines kept per stream (oldest dropped first); default 10 000. */
  maxLines?: number;
}

type LineListener = (line: string, stream: Stream) => void;

/** A long-lived process inside a namespace; torn down with its lab. */
export class LabProcess {
  readonly ns: string;
  readonly argv: readonly string[];
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<ProcessExit>;
  exit: ProcessExit | undefined;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly listeners = new Set<LineListener>();
  private readonly exitWaiters = new Set<() => void>();
  private readonly maxLines: number;

  constructor(ns: string, argv: readonly string[], opts: SpawnOptions = {}) {
    this.ns = ns;
    this.argv = argv;
    this.maxLines = opts.maxLines ?? 10_000;
    this.child = spawn(...nsSpawn(ns, argv), { env: opts.env ?? process.env });
    this.child.stdin.on('error', () => {});
    this.exited = new Promise((resolve) => {
      this.child.on('error', (err) => {
        this.push('stderr', `[lab] spawn failed: ${String(err)}`);
      });
      this.child.on('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        for (const w of this.exitWaiters) w();
      });
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: this.child[stream], crlfDelay: Number.POSITIVE_INFINITY }).on('line', (l) =>
        this.push(stream, l),
      );
    }
  }

  /** Pid of the command itself (`ip netns exec` execs it in place). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  write(data: string | Uint8Array): void {
    if (this.running) this.child.stdin.write(data);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  /** Calls `fn` for each new line; returns the unsubscribe function. */
  onLine(fn: LineListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves with the first line (already seen or future) matching `re`; rejects on timeout or exit. */
  waitForLine(re: RegExp, timeoutMs: number, stream: Stream | 'both' = 'both'): Promise<string> {
    const streams: Stream[] = stream === 'both' ? ['stdout', 'stderr'] : [stream];
    for (const s of streams) {
      const hit = this[s].find((l) => re.test(l));
      if (hit !== undefined) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        off();
        this.exitWaiters.delete(onExit);
        fn();
      };
      const fail = (code: 'timeout' | 'process-exited', why: string) =>
        done(() =>
          reject(new LabError(code, `[${this.ns}] ${this.argv.join(' ')}: ${why} ${re}\n${this.tail()}`)),
        );
      const timer = setTimeout(() => fail('timeout', `no line within ${timeoutMs} ms matching`), timeoutMs);
      const off = this.onLine((line, s) => {
        if (streams.includes(s) && re.test(line)) done(() => resolve(line));
      });
      const onExit = () =>
        fail('process-exited', `exited (${this.exit?.code ?? this.exit?.signal}) without a line matching`);
      this.exitWaiters.add(onExit);
      if (this.exit !== undefined) onExit();
    });
  }

  /** Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 1000): Promise<ProcessExit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => {
      timer = setTimeout(r, graceMs);
    });
    await Promise.race([this.exited, grace]);
    clearTimeout(timer);
    if (!this.exit) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** The last lines of output, for error messages. */
  tail(n = 20): string {
    const lines = [
      ...this.stdout.slice(-n).map((l) => `  out| ${l}`),
      ...this.stderr.slice(-n).map((l) => `  err| ${l}`),
    ];
    return lines.join('\n');
  }

  private push(stream: Stream, line: string): void {
    const buf = this[stream];
    buf.push(line);
    if (buf.length > this.maxLines) buf.splice(0, buf.length - this.maxLines);
    for (const l of this.listeners) l(line, stream);
  }
}
