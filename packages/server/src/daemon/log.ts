/**
 * Logging: one pino root logger, built where the program is wired; parts take
 * `logger.child({ component })`. JSON lines on stdout (journald keeps them); on a terminal,
 * one readable line per record instead:
 *
 *   14:03:07 INFO  knock grant client=alice address=192.0.2.10 service=ssh protocol=tcp port=22 seconds=30 via=knock
 *
 * Secrets are redacted by path, fixed at start-up: keys, secrets and derived subkeys never
 * reach the output, even when a whole client or config object is logged by mistake.
 */
import { fstatSync } from 'node:fs';
import { Writable } from 'node:stream';
import { type Logger, type LoggerOptions, pino } from 'pino';
import type { LogLevel } from '../config/index.js';

export type { Logger, LogLevel };

const SECRET_KEYS = ['secret', 'key', 'keys', 'clientKey', 'clientSecret', 'serverSecret', 'serverKeys'];
/** The secret keys at the top level and up to three levels down. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((k) => [
  k,
  `*.${k}`,
  `*.*.${k}`,
  `*.*.*.${k}`,
]);
export const REDACTED = '[redacted]';

export interface LoggerConfig {
  readonly level?: LogLevel;
  /** Readable lines instead of JSON. Default: whether stdout is a terminal. */
  readonly pretty?: boolean;
  /** Where lines go. Default: stdout. */
  readonly destination?: { write(chunk: string): unknown };
  /**
   * Start each JSON line with its syslog priority (`<3>` for error…), which journald stores as
   * the record's priority (so `journalctl -p err` finds errors). Default: stdout is the stream
   * systemd connected to the journal ($JOURNAL_STREAM names its device:inode).
   */
  readonly journal?: boolean;
}

/** pino level → syslog priority (sd-daemon.h): debug 7, info 6, warning 4, err 3, crit 2. */
export function syslogPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/** Whether fd 1 is the journal stream systemd set up ($JOURNAL_STREAM = "DEV:INODE" of it). */
export function stdoutIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const want = env.JOURNAL_STREAM;
  if (!want) return false;
  try {
    const st = fstatSync(1);
    return want === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** Prefixes each pino line with `<N>` (pino writes one whole line per call, level first). */
function withPriority(out: { write(chunk: string): unknown }): { write(chunk: string): unknown } {
  return {
    write(chunk: string) {
      const level = /^\{"level":(\d+)/.exec(chunk);
      return out.write(`<${syslogPriority(level ? Number(level[1]) : 30)}>${chunk}`);
    },
  };
}

export function createLogger(opts: LoggerConfig = {}): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  const options: LoggerOptions = {
    level: opts.level ?? 'info',
    base: undefined, // no pid/hostname: journald records both
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
  };
  const out = opts.destination ?? (pretty ? process.stdout : pino.destination({ dest: 1, sync: true }));
  if (!pretty) {
    const journal = opts.journal ?? (opts.destination === undefined && stdoutIsJournal());
    return pino(options, (journal ? withPriority(out) : out) as pino.DestinationStream);
  }
  const color =
    process.env.NO_COLOR === undefined && opts.destination === undefined && process.stdout.isTTY === true;
  return pino(options, new PrettyStream(out, color));
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const LEVEL_COLORS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
const OMIT = new Set(['time', 'level', 'msg', 'component', 'pid', 'hostname', 'err']);

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function valueText(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** One record (a parsed pino JSON line) as `HH:MM:SS LEVEL component msg key=value ...`. */
export function formatRecord(rec: Record<string, unknown>, color = false): string {
  const t = new Date(typeof rec.time === 'string' || typeof rec.time === 'number' ? rec.time : Date.now());
  const level = typeof rec.level === 'number' ? rec.level : 30;
  let name = (LEVEL_NAMES[level] ?? String(level)).padEnd(5);
  if (color) name = `\x1b[${LEVEL_COLORS[level] ?? '0'}m${name}\x1b[0m`;
  const parts = [`${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`, name];
  if (typeof rec.component === 'string') parts.push(rec.component);
  if (typeof rec.msg === 'string' && rec.msg !== '') parts.push(rec.msg);
  for (const [k, v] of Object.entries(rec)) if (!OMIT.has(k)) parts.push(`${k}=${valueText(v)}`);
  let line = parts.join(' ');
  const err = rec.err as { message?: unknown; stack?: unknown } | undefined;
  if (err && typeof err === 'object') {
    line += ` err=${valueText(err.message ?? err)}`;
    if (level >= 50 && typeof err.stack === 'string')
      line += err.stack
        .split('\n')
        .slice(1)
        .map((l) => `\n    ${l.trim()}`)
        .join('');
  }
  return line;
}

/** pino writes one JSON line per record; this re-renders each one. */
class PrettyStream extends Writable {
  readonly #out: { write(chunk: string): unknown };
  readonly #color: boolean;
  #partial = '';

  constructor(out: { write(chunk: string): unknown }, color: boolean) {
    super({ decodeStrings: false });
    this.#out = out;
    this.#color = color;
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    const lines = (this.#partial + chunk.toString()).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      let text: string;
      try {
        text = formatRecord(JSON.parse(line) as Record<string, unknown>, this.#color);
      } catch {
        text = line;
      }
      this.#out.write(`${text}\n`);
    }
    done();
  }
}
