/**
 * One long-lived interactive child (`nft -i`, `ipset -`) fed one command line at a time.
 *
 * Framing: neither tool says "done" after a successful command (success is silent, and
 * ipset even buffers its stdout), but both write errors to stderr at once and in order.
 * So after each command we send a marker line that is sure to fail with an error quoting a
 * fresh token; when that error shows up on stderr, everything on stderr before it is the
 * command's own error text (empty = success). A command that prints a result (`nft -j list`)
 * prints one line on stdout, which nft flushes before it handles the next line.
 *
 * Requests are serialised. If the child dies during a request it is restarted and the
 * request retried once; every command the backends send is idempotent, so a retry is safe.
 */

import { FirewallError, type LogFn } from './firewall.js';
import { type ChildLike, commandFailed, type SpawnFn, unavailable, withPrefix } from './process.js';

export interface Marker {
  /** The line sent after command number `n`. */
  line(n: number): string;
  /** Where marker `n`'s error starts and ends in `stderr`, once it has fully arrived. */
  find(stderr: string, n: number): { start: number; end: number } | undefined;
}

export interface LineSessionOptions {
  /** Short name for messages, e.g. 'nft'. */
  label: string;
  argv: readonly string[];
  prefix?: readonly string[];
  spawn: SpawnFn;
  env?: NodeJS.ProcessEnv;
  marker: Marker;
  timeoutMs?: number;
  log?: LogFn;
}

export interface Reply {
  /** The command's own stderr; empty on success. */
  stderr: string;
  /** With `expectLine`, the first stdout line (without '\n'); otherwise whatever was printed. */
  stdout: string;
}

interface Pending {
  n: number;
  expectLine: boolean;
  resolve(r: Reply): void;
  reject(e: Error): void;
}

interface Live {
  child: ChildLike;
  out: string;
  err: string;
  dead: boolean;
  pending?: Pending;
}

/** The child went away mid-request: worth one retry on a fresh child. */
class Died extends Error {}

export class LineSession {
  readonly #o: LineSessionOptions;
  #live: Live | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #seq = 0;

  constructor(options: LineSessionOptions) {
    this.#o = options;
  }

  request(command: string, opts: { expectLine?: boolean } = {}): Promise<Reply> {
    if (/[\r\n]/.test(command)) {
      return Promise.reject(new FirewallError('bad-argument', `${this.#o.label}: command spans lines`));
    }
    const run = async (): Promise<Reply> => {
      try {
        return await this.#once(command, opts.expectLine ?? false);
      } catch (err) {
        if (!(err instanceof Died)) throw err;
        this.#o.log?.(`${this.#o.label} process died, restarting`, { reason: err.message });
        try {
          return await this.#once(command, opts.expectLine ?? false);
        } catch (err2) {
          if (err2 instanceof Died) throw commandFailed(`${this.#o.label} process died twice`, err2.message);
          throw err2;
        }
      }
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  /** Ends the child (EOF on stdin), killing it if it lingers. Queued after pending requests. */
  close(): Promise<void> {
    const run = () => this.#close();
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  async #close(): Promise<void> {
    const live = this.#live;
    this.#live = undefined;
    if (!live || live.dead) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        live.child.kill('SIGKILL');
        resolve();
      }, 2000);
      live.child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      live.child.stdin.end();
    });
  }

  #spawn(): Live {
    const [command, args] = withPrefix(this.#o.prefix ?? [], this.#o.argv);
    let child: ChildLike;
    try {
      child = this.#o.spawn(command, args, this.#o.env ? { env: this.#o.env } : {});
    } catch (err) {
      throw unavailable(command, err);
    }
    const live: Live = { child, out: '', err: '', dead: false };
    const die = (why: string) => {
      live.dead = true;
      const p = live.pending;
      live.pending = undefined;
      p?.reject(new Died(`${why}${live.err.trim() ? `: ${live.err.trim()}` : ''}`));
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      live.out += d;
      this.#check(live);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      live.err += d;
      this.#check(live);
    });
    child.stdin.on('error', () => {}); // EPIPE: 'close' reports the death.
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        live.dead = true;
        const p = live.pending;
        live.pending = undefined;
        p?.reject(unavailable(command, err));
      } else die(`${command}: ${err.message}`);
    });
    child.on('close', (code: number | null, signal: string | null) =>
      die(`${this.#o.label} exited (${signal ?? `code ${code}`})`),
    );
    return live;
  }

  #check(live: Live): void {
    const p = live.pending;
    if (!p) return;
    const m = this.#o.marker.find(live.err, p.n);
    if (!m) return;
    const stderr = live.err.slice(0, m.start).trim();
    let stdout = live.out;
    if (p.expectLine && stderr === '') {
      const nl = live.out.indexOf('\n');
      if (nl < 0) return; // the result line is still on its way
      stdout = live.out.slice(0, nl);
    }
    live.err = live.err.slice(m.end);
    live.out = '';
    live.pending = undefined;
    p.resolve({ stderr, stdout });
  }

  #once(command: string, expectLine: boolean): Promise<Reply> {
    if (!this.#live || this.#live.dead) this.#live = this.#spawn();
    const live = this.#live;
    const n = ++this.#seq;
    live.out = '';
    live.err = '';
    const timeoutMs = this.#o.timeoutMs ?? 5000;
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        live.pending = undefined;
        live.dead = true;
        live.child.kill('SIGKILL');
        reject(
          new FirewallError(
            'firewall-timeout',
            `${this.#o.label}: no answer in ${timeoutMs} ms to ${JSON.stringify(command.slice(0, 200))}`,
            'the firewall tool is hung; it will be restarted on the next request',
          ),
        );
      }, timeoutMs);
      live.pending = {
        n,
        expectLine,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      live.child.stdin.write(`${command}\n${this.#o.marker.line(n)}\n`);
    });
  }
}
