/**
 * An established connection a user keeps open, like an ssh session: `nc ADDRESS PORT` on a
 * lab host, whose stdin the demo types into. The lab's guarded services greet with a banner
 * (`spa-lab service PORT`) and then echo every line.
 */
import type { HostRef, Lab, LabProcess } from '../lab/index.js';

export class NcSession {
  readonly command: string;
  readonly #proc: LabProcess;
  #seen = 0;

  private constructor(proc: LabProcess, command: string) {
    this.#proc = proc;
    this.command = command;
  }

  /** Connects and waits (bounded) for the service's first line. Undefined if none came. */
  static async open(
    lab: Lab,
    host: HostRef,
    address: string,
    port: number,
    timeoutMs: number,
  ): Promise<{ session: NcSession; banner: string | undefined }> {
    const command = `nc ${address} ${port}`;
    const session = new NcSession(lab.spawn(host, command.split(' ')), command);
    const banner = await session.#nextLine(() => true, timeoutMs);
    return { session, banner };
  }

  get running(): boolean {
    return this.#proc.running;
  }

  /** Types `text` and waits (bounded) for the echo; returns what came back, undefined if nothing. */
  async say(text: string, timeoutMs: number): Promise<string | undefined> {
    this.#proc.write(`${text}\n`);
    return this.#nextLine((l) => l === text, timeoutMs);
  }

  async close(): Promise<void> {
    this.#proc.endInput();
    await this.#proc.kill('SIGTERM', 500);
  }

  /** The first unread stdout line that matches, waiting up to `timeoutMs`. */
  async #nextLine(match: (l: string) => boolean, timeoutMs: number): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.#proc.stdout;
      for (; this.#seen < lines.length; this.#seen++) {
        const l = lines[this.#seen]!;
        if (match(l)) {
          this.#seen++;
          return l;
        }
      }
      if (Date.now() >= deadline || !this.#proc.running) return undefined;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
