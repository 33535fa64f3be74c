/**
 * An on-path eavesdropper. The lab's bridge forwards unicast only to its destination, so the
 * attacker's own interface never sees the client's packets; the tap runs `tcpdump` on the
 * client's cable instead (its interface, inside the client's namespace) and hands the bytes
 * to the attacker. Output is text (`-l -n`, with `-x` for the bytes), no capture file.
 */
import type { HostRef, Lab, LabProcess } from '../lab/index.js';
import { parseTcpdump, type SniffedPacket } from './tcpdump-text.js';

const READY_TIMEOUT_MS = 5000;

export interface TapOptions {
  /** A pcap filter, e.g. `udp and dst host 192.0.2.1`. */
  readonly filter: string;
  /** Print the packets' bytes (`-x`). */
  readonly bytes?: boolean;
  /** Stop after this many packets (`-c N`). */
  readonly count?: number;
}

export class Tap {
  /** The command as a user would type it (for the transcript). */
  readonly command: string;
  readonly #proc: LabProcess;

  private constructor(proc: LabProcess, command: string) {
    this.#proc = proc;
    this.command = command;
  }

  /** Starts tcpdump on `host`'s interface and waits until it is capturing. */
  static async start(lab: Lab, host: HostRef, opts: TapOptions): Promise<Tap> {
    const ifname = lab.host(host).ifname;
    const args = ['-l', '-n', ...(opts.bytes ? ['-x'] : [])];
    if (opts.count !== undefined) args.push('-c', String(opts.count));
    args.push('-i', ifname, opts.filter);
    const proc = lab.spawn(host, ['tcpdump', ...args]);
    const tap = new Tap(proc, `tcpdump ${args.slice(0, -1).join(' ')} '${opts.filter}'`);
    try {
      await proc.waitForLine(/^listening on /, READY_TIMEOUT_MS, 'stderr');
    } catch (err) {
      await proc.kill('SIGKILL', 500);
      throw err;
    }
    return tap;
  }

  /** What tcpdump printed so far (summary lines and hex). */
  get lines(): readonly string[] {
    return this.#proc.stdout;
  }

  get packets(): SniffedPacket[] {
    return parseTcpdump(this.#proc.stdout);
  }

  /**
   * Stops tcpdump and returns every packet it printed. With `count`, first give it up to
   * `waitMs` to see its packets and exit by itself; then SIGINT (which flushes its output).
   */
  async stop(waitMs = 0): Promise<SniffedPacket[]> {
    if (waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#proc.exited, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
    await this.#proc.kill('SIGINT', 1000);
    return this.packets;
  }
}
