/**
 * The forged-packet flood: ./flood.c compiled with gcc into the run's temp dir, run inside the
 * attacker's namespace. Every run is bounded twice, by duration and by packet count (flood.c
 * caps both again), and is killed with its lab.
 */
import { join } from 'node:path';
import { compileC } from '../lab/compile-c.js';
import type { Lab, LabProcess } from '../lab/index.js';

/** flood.c is not compiled by tsc: read it from the source tree next to this file's source. */
const FLOOD_SOURCE = new URL('../../src/bench/flood.c', import.meta.url).pathname;

export type Rate = number | 'max';

export interface FloodSpec {
  dst: string;
  /** Sent to in turn (at most 16). */
  ports: readonly number[];
  size: number;
  rate: Rate;
  durationMs: number;
  maxPackets: number;
  /** Random base64 characters instead of random bytes. */
  base64?: boolean;
  /** Raw socket with random source addresses in this /16 (e.g. 198.18.0.0). */
  spoofNet?: string;
  /** With spoofNet: how many low bits of the source are random (default 16; 0 = exactly spoofNet). */
  spoofBits?: number;
  /** With spoofNet: TCP SYNs instead of UDP datagrams (size ignored). */
  syn?: boolean;
  /** A random destination port in this range per packet (instead of `ports`). */
  portRange?: readonly [number, number];
}

export interface FloodRun {
  sent: number;
  errors: number;
  elapsedMs: number;
  rate: number;
}

export function compileFlood(dir: string): string {
  return compileC(FLOOD_SOURCE, join(dir, 'flood'));
}

export class Flood {
  private readonly proc: LabProcess;
  readonly spec: FloodSpec;

  private constructor(proc: LabProcess, spec: FloodSpec) {
    this.proc = proc;
    this.spec = spec;
  }

  static start(lab: Lab, host: string, bin: string, spec: FloodSpec): Flood {
    const argv = [
      bin,
      '--dst',
      spec.dst,
      ...spec.ports.slice(0, 16).flatMap((p) => ['--port', String(p)]),
      ...(spec.portRange ? ['--port-range', `${spec.portRange[0]}-${spec.portRange[1]}`] : []),
      '--size',
      String(spec.size),
      '--rate',
      String(spec.rate === 'max' ? 0 : spec.rate),
      '--duration-ms',
      String(Math.round(spec.durationMs)),
      '--max-packets',
      String(Math.round(spec.maxPackets)),
      ...(spec.base64 ? ['--base64'] : []),
      ...(spec.spoofNet ? ['--spoof', spec.spoofNet] : []),
      ...(spec.spoofBits !== undefined ? ['--spoof-bits', String(spec.spoofBits)] : []),
      ...(spec.syn ? ['--syn'] : []),
    ];
    return new Flood(lab.spawn(host, argv), spec);
  }

  /** Stops the flood now (SIGTERM) and returns what it sent. */
  async stop(): Promise<FloodRun> {
    if (this.proc.running) await this.proc.kill('SIGTERM', 2000);
    return this.result();
  }

  /** Waits for the flood to end by itself (duration or count reached). */
  async finished(): Promise<FloodRun> {
    await this.proc.exited;
    return this.result();
  }

  private result(): FloodRun {
    const line = this.proc.stdout.find((l) => l.startsWith('{"sent"'));
    if (!line) throw new Error(`flood reported nothing:\n${this.proc.tail()}`);
    return JSON.parse(line) as FloodRun;
  }
}
