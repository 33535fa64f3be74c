/**
 * The daemon's side of the story: its JSON log lines (stdout of `spa-server run`), read from
 * a mark onwards so each step sees only what it caused, shown without level, time and
 * component; and its counters, which it logs when it gets SIGUSR1.
 */
import type { SpaLab } from '../spa/fixture.js';

export interface LogLine {
  readonly msg: string;
  readonly [k: string]: unknown;
}

const HIDDEN = new Set(['level', 'time', 'component', 'msg', 'pid', 'hostname']);
const POLL_MS = 20;

function parse(line: string): LogLine | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    if (v && typeof v === 'object' && typeof (v as LogLine).msg === 'string') return v as LogLine;
  } catch {
    // not a JSON line
  }
  return undefined;
}

function flatten(prefix: string, value: unknown, out: string[]): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else out.push(`${prefix}=${Array.isArray(value) ? value.join(',') : String(value)}`);
}

export interface FormatOptions {
  /** Show only the fields nested under this key, without its prefix (e.g. `counters`). */
  readonly under?: string;
  /** Keep only the fields whose (flattened) key passes. */
  readonly keep?: (key: string) => boolean;
}

/** `knock rejected reason=replay packet.source=192.0.2.3 packet.port=44113`. */
export function formatLogLine(l: LogLine, opts: FormatOptions = {}): string {
  const fields: string[] = [];
  if (opts.under !== undefined) flatten('', l[opts.under], fields);
  else for (const [k, v] of Object.entries(l)) if (!HIDDEN.has(k)) flatten(k, v, fields);
  const keep = opts.keep;
  const shown = keep ? fields.filter((f) => keep(f.slice(0, f.indexOf('=')))) : fields;
  return [l.msg, ...shown].join(' ');
}

export class ServerLog {
  readonly #spa: SpaLab;

  constructor(spa: SpaLab) {
    this.#spa = spa;
  }

  #lines(): readonly string[] {
    return this.#spa.server?.stdout ?? [];
  }

  /** A position in the log: later waits look only at lines after it. */
  mark(): number {
    return this.#lines().length;
  }

  /** Lines since `from` that match. */
  since(from: number, match: (l: LogLine) => boolean = () => true): LogLine[] {
    return this.#lines()
      .slice(from)
      .flatMap((s) => {
        const l = parse(s);
        return l && match(l) ? [l] : [];
      });
  }

  /** The first line since `from` that matches, waiting up to `timeoutMs`; undefined if none came. */
  async waitFor(
    from: number,
    match: (l: LogLine) => boolean,
    timeoutMs: number,
  ): Promise<LogLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.since(from, match)[0];
      if (hit || Date.now() >= deadline) return hit;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /**
   * Every counter of the daemon (SIGUSR1 makes it log them all, with `replayEntries`; the
   * periodic report has only what changed). The fixture's `counters()` never matches its own
   * line (see the report), hence this.
   */
  async counters(timeoutMs = 3000): Promise<{ line: LogLine; counters: Record<string, number> }> {
    const pid = this.#spa.server?.pid;
    if (pid === undefined) throw new Error('spa-server is not running');
    const from = this.mark();
    process.kill(pid, 'SIGUSR1');
    const line = await this.waitFor(from, (l) => l.msg === 'counters' && 'replayEntries' in l, timeoutMs);
    if (!line) throw new Error(`spa-server logged no counters within ${timeoutMs} ms of SIGUSR1`);
    return { line, counters: (line.counters ?? {}) as Record<string, number> };
  }
}
