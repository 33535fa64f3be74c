/**
 * A stand-in for nft / ipset / iptables behind the injectable SpawnFn: records every spawn,
 * every line sent to an interactive child and every batch's stdin, and answers like the real
 * tool (markers fail with the tool's own error text). No root needed.
 */
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import type { ChildLike, SpawnFn } from '../../src/firewall/process.js';

export type LineReply = { stdout?: string; stderr?: string } | 'die' | 'hang' | undefined;

export interface FakeToolOptions {
  /** Which spawns are long-lived interactive children (by argv). */
  interactive(args: readonly string[]): boolean;
  /** stderr text if `line` is a framing marker, else undefined. */
  marker(line: string): string | undefined;
  onLine?(line: string): LineReply;
  onRun?(
    command: string,
    args: readonly string[],
    input: string,
  ): { code: number; stdout?: string; stderr?: string };
  /** Write output one character at a time, to exercise framing across chunks. */
  chunked?: boolean;
}

export class FakeChild extends EventEmitter implements ChildLike {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  closed = false;

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.finish(null, signal);
    return true;
  }

  finish(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.closed) return;
    this.closed = true;
    setImmediate(() => {
      this.stdout.end();
      this.stderr.end();
      setImmediate(() => this.emit('close', code, signal));
    });
  }
}

export interface Spawned {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv | undefined;
  child: FakeChild;
}

export class FakeTool {
  readonly spawns: Spawned[] = [];
  /** Non-marker lines sent to interactive children, in order. */
  readonly lines: string[] = [];
  /** Batch runs: argv and stdin. */
  readonly runs: { command: string; args: string[]; input: string }[] = [];
  readonly #o: FakeToolOptions;

  constructor(options: FakeToolOptions) {
    this.#o = options;
  }

  readonly spawn: SpawnFn = (command, args, options) => {
    const child = new FakeChild();
    this.spawns.push({ command, args: [...args], env: options.env, child });
    if (this.#o.interactive(args)) this.#interactive(child);
    else this.#batch(child, command, args);
    return child;
  };

  #write(stream: PassThrough, text: string | undefined): void {
    if (!text) return;
    if (this.#o.chunked) for (const ch of text) stream.write(ch);
    else stream.write(text);
  }

  #interactive(child: FakeChild): void {
    let hung = false;
    createInterface({ input: child.stdin }).on('line', (line) => {
      if (hung || child.closed) return;
      const m = this.#o.marker(line);
      if (m !== undefined) return this.#write(child.stderr, m);
      this.lines.push(line);
      const reply = this.#o.onLine?.(line);
      if (reply === 'die') return child.finish(1);
      if (reply === 'hang') {
        hung = true;
        return;
      }
      this.#write(child.stdout, reply?.stdout);
      this.#write(child.stderr, reply?.stderr);
    });
    child.stdin.on('end', () => child.finish(0));
  }

  #batch(child: FakeChild, command: string, args: readonly string[]): void {
    let input = '';
    child.stdin.setEncoding('utf8').on('data', (d: string) => {
      input += d;
    });
    child.stdin.on('end', () => {
      this.runs.push({ command, args: [...args], input });
      const r = this.#o.onRun?.(command, args, input) ?? { code: 0 };
      this.#write(child.stdout, r.stdout);
      this.#write(child.stderr, r.stderr);
      child.finish(r.code);
    });
  }
}

/** nft 1.0.6's answer to a bare word: a syntax error quoting the line. */
export function nftSyntaxError(line: string): string {
  return `Error: syntax error, unexpected newline, expecting string\n${line}\n${' '.repeat(line.length)}^\n`;
}

/** What `nft -j list set …` prints for an empty set (enough for parseSetJson). */
export const EMPTY_SET_JSON =
  '{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"set": {"family": "inet", "name": "grants4", "table": "spa", "type": ["ipv4_addr", "inet_proto", "inet_service"], "flags": ["timeout"]}}]}\n';

export function fakeNft(opts: Partial<FakeToolOptions> = {}): FakeTool {
  const { onLine, ...rest } = opts;
  return new FakeTool({
    interactive: (args) => args.includes('-i'),
    marker: (line) => (/^spa-sync-\d+$/.test(line) ? nftSyntaxError(line) : undefined),
    // start() lists the grant sets: answer with empty ones unless the test says otherwise.
    onLine: (line) =>
      onLine?.(line) ?? (line.startsWith('list set') ? { stdout: EMPTY_SET_JSON } : undefined),
    ...rest,
  });
}

export function fakeIpset(opts: Partial<FakeToolOptions> = {}): FakeTool {
  return new FakeTool({
    interactive: (args) => args.includes('-'),
    marker: (line) => {
      const m = /^create spa-sync hash:ip timeout (sync\d+)$/.exec(line);
      return m ? `ipset v7.17: Syntax error: '${m[1]}' is invalid as number\n` : undefined;
    },
    ...opts,
  });
}
