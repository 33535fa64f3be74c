/**
 * How much the bench measures: the full run (`npm run bench`, what docs/benchmarks.md comes
 * from) and the quick smoke run (`run.js --quick`: a few samples, short floods, report in a
 * temp dir). Every flood is bounded by duration and count.
 */
import type { Rate } from './flood.js';

export interface BenchOptions {
  quick: boolean;
  /** Where benchmarks.md and benchmarks.svg are written. */
  outDir: string;
  /** Open-latency samples per system without a flood. */
  latencySamples: number;
  floodRates: readonly Rate[];
  /** Legit opens per flood condition, and the time budget that may cut them short. */
  floodSamples: number;
  floodBudgetMs: number;
  /** Let the flood run this long before the first legit open. */
  floodWarmupMs: number;
  /** A legit open that takes longer than this is a failure. */
  openTimeoutMs: number;
  /** CPU per forged packet: both systems at 1,000/s, spa also at these rates; length of each flood. */
  cpuRates: readonly number[];
  cpuMs: number;
  /** Memory: length and rate of the long flood (spoofed sources, current knock port). */
  memoryFloodMs: number;
  memoryRate: number;
  /** Client counts of the scaling micro-bench, and packets verified per count. */
  scalingClients: readonly number[];
  scalingPackets: number;
  configLoadClients: number;
  /** Runs of `spa-client open --no-wait`. */
  startupRuns: number;
  /**
   * Step rolls of the daemon (simulated clock) for the memory-after-rolls figure (4b): the goal is
   * judged on the second half, after the first has brought V8's heap to its working size.
   */
  stepRolls: number;
  /** Seconds each grant lasts (both systems). */
  grantSeconds: number;
}

export const FULL: Omit<BenchOptions, 'outDir'> = {
  quick: false,
  latencySamples: 60,
  floodRates: [1000, 10_000, 50_000, 'max'],
  floodSamples: 100,
  floodBudgetMs: 30_000,
  floodWarmupMs: 1000,
  openTimeoutMs: 2500,
  cpuRates: [20_000, 50_000],
  cpuMs: 10_000,
  memoryFloodMs: 60_000,
  memoryRate: 50_000,
  scalingClients: [1, 1000, 10_000],
  scalingPackets: 20_000,
  configLoadClients: 10_000,
  startupRuns: 30,
  stepRolls: 20_000,
  grantSeconds: 3,
};

export const QUICK: Omit<BenchOptions, 'outDir'> = {
  quick: true,
  latencySamples: 5,
  floodRates: [1000, 'max'],
  floodSamples: 3,
  floodBudgetMs: 6000,
  floodWarmupMs: 300,
  openTimeoutMs: 2500,
  cpuRates: [5000],
  cpuMs: 1000,
  memoryFloodMs: 2000,
  memoryRate: 10_000,
  scalingClients: [1, 100],
  scalingPackets: 500,
  configLoadClients: 100,
  startupRuns: 2,
  stepRolls: 200,
  grantSeconds: 3,
};
