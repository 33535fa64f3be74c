/** The machine a run measured, for the report's header. */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fwknopVersion } from './fwknop.js';
import type { MachineInfo } from './results.js';
import { spaVersion } from './spa.js';

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function machineInfo(): MachineInfo {
  return {
    date: new Date().toISOString(),
    kernel: release(),
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    spa: spaVersion(),
    fwknop: fwknopVersion(),
    loadAtStart: loadavg()[0] ?? Number.NaN,
  };
}
