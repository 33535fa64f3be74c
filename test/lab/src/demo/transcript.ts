/**
 * The demo's transcript: numbered steps, the commands as a user would type them, their real
 * output, the server's log lines, and one ✔/✘ line per check. Colours only on a terminal.
 * Every check is recorded, so the summary (and the exit code) can say what failed.
 *
 *   2. spa-client opens ssh with one packet
 *      client$ spa-client open ssh -4
 *      │ ssh on web1 is open for the server's default time (opened in 40 ms)
 *      server log: grant client=alice address=192.0.2.2 …
 *      ✔ the server granted 192.0.2.2 ssh (22/tcp) for 5 s
 */

export interface Check {
  readonly step: number;
  readonly ok: boolean;
  readonly text: string;
}

export interface TranscriptOptions {
  /** Where lines go (default: process.stdout). */
  readonly write?: (text: string) => void;
  /** ANSI colours (default: stdout is a TTY and NO_COLOR is unset). */
  readonly color?: boolean;
}

const ANSI = {
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
  reset: '\x1b[0m',
} as const;
type Paint = Exclude<keyof typeof ANSI, 'reset'>;

const INDENT = '   ';
/** Longest output shown for one command; the rest is summarized in one line. */
const MAX_OUTPUT_LINES = 8;

export class Transcript {
  readonly checks: Check[] = [];
  readonly color: boolean;
  readonly #write: (text: string) => void;
  #step = 0;
  #silent = false;

  constructor(opts: TranscriptOptions = {}) {
    this.#write = opts.write ?? ((s) => process.stdout.write(s));
    this.color = opts.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
  }

  /** The number of the current step (0 before the first). */
  get step(): number {
    return this.#step;
  }

  paint(style: Paint, text: string): string {
    return this.color ? `${ANSI[style]}${text}${ANSI.reset}` : text;
  }

  line(text = ''): void {
    if (!this.#silent) this.#write(`${text}\n`);
  }

  /** From now on print nothing (after Ctrl-C, the steps still unwinding must not talk). */
  silence(): void {
    this.#silent = true;
  }

  title(text: string): void {
    this.line(this.paint('bold', text));
  }

  /** Starts step N+1. */
  begin(title: string): void {
    this.#step++;
    this.line();
    this.line(this.paint('bold', `${this.#step}. ${title}`));
  }

  /** An explanation for the reader. */
  say(text: string): void {
    this.line(`${INDENT}${text}`);
  }

  /** A command as typed at a prompt, e.g. `client$ spa-client open ssh -4`. */
  command(prompt: string, cmd: string, note?: string): void {
    const tail = note ? `   ${this.paint('dim', `# ${note}`)}` : '';
    this.line(`${INDENT}${this.paint('cyan', `${prompt}$ ${cmd}`)}${tail}`);
  }

  /** Something done by the demo's helper rather than a shell command. */
  action(who: string, text: string): void {
    this.line(`${INDENT}${this.paint('cyan', `${who}:`)} ${text}`);
  }

  /** A command's real output (stdout and stderr as they came), trimmed to a few lines. */
  output(text: string, maxLines = MAX_OUTPUT_LINES): void {
    const lines = text.replace(/\s+$/, '').replaceAll('\t', '    ').split('\n');
    if (lines.length === 1 && lines[0] === '') return;
    const shown = lines.length > maxLines ? lines.slice(0, maxLines - 1) : lines;
    for (const l of shown) this.line(`${INDENT}${this.paint('dim', `│ ${l}`)}`);
    if (shown.length < lines.length)
      this.line(`${INDENT}${this.paint('dim', `│ … (${lines.length - shown.length} more lines)`)}`);
  }

  /** A line typed into an interactive session. */
  typed(text: string): void {
    this.line(`${INDENT}${this.paint('cyan', `⌨ ${text}`)}`);
  }

  /** A server log line, already formatted (see server-log.ts). */
  serverLog(text: string): void {
    this.line(`${INDENT}${this.paint('yellow', `server log: ${text}`)}`);
  }

  /** Records a check and prints its verdict. Returns `ok`. */
  check(ok: boolean, text: string): boolean {
    this.checks.push({ step: this.#step, ok, text });
    const mark = ok ? this.paint('green', '✔') : this.paint('red', '✘');
    this.line(`${INDENT}${mark} ${text}`);
    return ok;
  }

  /** A progress line that a terminal overwrites in place (plain text elsewhere). */
  progress(text: string, final = false): void {
    if (this.#silent) return;
    if (this.color) this.#write(`\r\x1b[2K${INDENT}${this.paint('dim', text)}${final ? '\n' : ''}`);
    else if (final) this.line(`${INDENT}${text}`);
  }

  get failed(): Check[] {
    return this.checks.filter((c) => !c.ok);
  }

  /** True when at least one check ran and none failed. */
  get passed(): boolean {
    return this.checks.length > 0 && this.failed.length === 0;
  }

  /** The closing lines: all passed, or which failed. */
  summary(seconds: number): void {
    this.line();
    const time = `${seconds.toFixed(1)} s`;
    if (this.passed) {
      this.line(this.paint('green', `All ${this.checks.length} checks passed in ${time}.`));
      return;
    }
    const failed = this.failed;
    this.line(this.paint('red', `${failed.length} of ${this.checks.length} checks failed (${time}):`));
    for (const c of failed) this.line(`${INDENT}✘ step ${c.step}: ${c.text}`);
  }
}
