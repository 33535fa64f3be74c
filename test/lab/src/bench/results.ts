/** Everything one bench run measured: what the report, the chart and the smoke test read. */
import type { Rate } from './flood.js';
import type { Summary } from './stats.js';
import type { SystemName } from './system.js';

export interface MachineInfo {
  date: string;
  kernel: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  spa: string;
  fwknop: string;
  /** 1-minute load average when the run started (others' work makes numbers noisy). */
  loadAtStart: number;
  /** Same, when the run ended. */
  loadAtEnd?: number;
}

export interface LatencyResult {
  system: SystemName;
  label: string;
  attempts: number;
  /** Of the opened samples, in ms. */
  summary: Summary;
  /** Raw latencies (ms) of opened samples, for the chart. */
  values: number[];
  failures: number;
}

/**
 * fixed-port: fwknop's only port (everyone knows it); stale-port: a port spa watched some
 * steps ago (an attacker without the secret); current-port: the ports spa watches now (an
 * attacker with the server secret, e.g. a former client).
 */
export type Scenario = 'fixed-port' | 'stale-port' | 'current-port';

export interface FloodResult {
  system: SystemName;
  scenario: Scenario;
  rate: Rate;
  /** What the generator actually sent, per second, and in all. */
  sentRate: number;
  sent: number;
  attempts: number;
  opened: number;
  openedWithin1s: number;
  summary: Summary;
  /** Samples not taken because the time budget ran out. */
  cutShort: boolean;
  /** spa only: what its counters grew by during the condition (outcome → packets). */
  daemon: Record<string, number> | undefined;
}

export interface CpuResult {
  system: SystemName;
  rate: number;
  packets: number;
  /** CPU of the daemon during the flood minus the same time idle. */
  cpuMs: number;
  idleCpuMs: number;
  usPerPacket: number;
  /** Packets the daemon says it handled (spa's counters); undefined when it cannot tell (fwknopd). */
  handled: number | undefined;
  /** spa only: what its counters grew by (outcome → packets). */
  daemon: Record<string, number> | undefined;
}

export interface MemoryResult {
  system: SystemName;
  idleMb: number;
  endMb: number;
  maxMb: number;
  /** Growth of the lower envelope (5 s minima) over the second half of the flood, MB per minute. */
  slopeMbPerMin: number;
  floodSeconds: number;
  sent: number;
  sentRate: number;
  legitAttempts: number;
  legitOpened: number;
  points: [number, number][];
  /** spa only: what its counters grew by (outcome → packets). */
  daemon: Record<string, number> | undefined;
}

export interface ScalingResult {
  clients: number;
  /** Microseconds per forged packet (random bytes, right size) and per valid knock. */
  forgedUs: number;
  validUs: number;
  via: string;
}

export interface ConfigLoadResult {
  clients: number;
  /** `loadConfig` alone (client subkeys are derived lazily). */
  ms: number;
  /** Plus every client's subkeys derived and the lookup table built: ready to verify. */
  readyMs: number;
  via: string;
}

export interface StartupResult {
  runs: number;
  failures: number;
  summary: Summary;
  command: string;
  /** `node -e 0` the same number of times: what Node itself costs on this machine. */
  nodeFloor: Summary;
}

export interface BenchResults {
  quick: boolean;
  machine: MachineInfo;
  durationS: number;
  latency: LatencyResult[];
  /** The prober against a port that is already open: what the method itself adds. */
  latencyFloor: Summary | undefined;
  flood: FloodResult[];
  cpu: CpuResult[];
  memory: MemoryResult[];
  scaling: ScalingResult[];
  configLoad: ConfigLoadResult | undefined;
  startup: StartupResult | undefined;
  /** Things that went wrong or were skipped, in words. */
  /** 4b: RSS of the daemon before and after `rolls` step rolls (rolls.ts). */
  stepRolls?: StepRollsResult;
  notes: string[];
}

export interface StepRollsResult {
  rolls: number;
  /** RSS after a warm-up of 200 rolls, after GC. */
  warmMb: number;
  /** RSS after the rolls, after GC. */
  endMb: number;
  /** Wall time per roll (tables, filter, re-arm). */
  rollMs: number;
  /** RSS after GC at every tenth of the rolls. */
  series: number[];
  /** The JavaScript heap's committed size at the end. */
  heapTotalMb: number;
}
