/**
 * `npm run bench`: spa-server and fwknopd side by side in one namespace lab, measured by the
 * same code (see docs/benchmarks.md for what each step means). Needs root.
 *
 *   node test/lab/dist/bench/run.js            full run; writes docs/benchmarks.md + .svg
 *   node test/lab/dist/bench/run.js --quick    smoke run: few samples, short floods, report in a temp dir
 *   options: --out DIR (report dir), --only latency,flood,cpu,memory,scaling,startup
 *   node test/lab/dist/bench/run.js --render DIR/benchmarks.json [--out DIR]   report from saved results
 *
 * Prints a table; the last line is `bench report: PATH`. Timings never make it fail: it exits
 * non-zero only if it could not measure.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { canBuildLab } from '../lab/index.js';
import { cpuPhase } from './cpu.js';
import { floodPhase } from './flood-opens.js';
import { floorPhase, latencyPhase } from './latency.js';
import { machineInfo } from './machine.js';
import { memoryPhase } from './memory.js';
import { type BenchOptions, FULL, QUICK } from './options.js';
import { readRssMb } from './proc-stats.js';
import { writeReport } from './report.js';
import type { BenchResults } from './results.js';
import { startRig } from './rig.js';
import { stepRollsPhase } from './rolls.js';
import { configLoadPhase, scalingPhase } from './scaling.js';
import { startupPhase } from './startup.js';
import { fmtMs } from './stats.js';
import { printTable } from './table.js';

const PHASES = ['latency', 'flood', 'cpu', 'memory', 'scaling', 'startup'] as const;
type Phase = (typeof PHASES)[number];
const DOCS_DIR = new URL('../../../../docs/', import.meta.url).pathname;

function parseArgs(argv: readonly string[]): {
  opts: BenchOptions;
  only: Set<Phase>;
  render: string | undefined;
} {
  const quick = argv.includes('--quick');
  const at = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const outDir = at('--out') ?? (quick ? mkdtempSync(join(tmpdir(), 'spa-bench-report-')) : DOCS_DIR);
  const onlyArg = at('--only');
  const only = new Set<Phase>(
    onlyArg
      ? (onlyArg.split(',').filter((p) => (PHASES as readonly string[]).includes(p)) as Phase[])
      : PHASES,
  );
  return { opts: { ...(quick ? QUICK : FULL), outDir }, only, render: at('--render') };
}

const IDLE_SETTLE_MS = 1500;
const log = (s: string) => process.stdout.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const { opts, only, render } = parseArgs(process.argv.slice(2));
  if (render) {
    const saved = JSON.parse(readFileSync(render, 'utf8')) as BenchResults;
    printTable(saved);
    log(`bench report: ${writeReport(saved, opts.outDir)}`);
    return 0;
  }
  const can = canBuildLab();
  if (!can.ok) {
    process.stderr.write(
      `bench: cannot build the namespace lab: ${can.reason}\n(run as root: sudo npm run bench)\n`,
    );
    return 2;
  }
  const started = performance.now();
  const results: BenchResults = {
    quick: opts.quick,
    machine: machineInfo(),
    durationS: 0,
    latency: [],
    latencyFloor: undefined,
    flood: [],
    cpu: [],
    memory: [],
    scaling: [],
    configLoad: undefined,
    startup: undefined,
    notes: [],
  };
  const tmp = mkdtempSync(join(tmpdir(), 'spa-bench-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  log(`${opts.quick ? 'quick' : 'full'} run; temp dir ${tmp}; load average ${results.machine.loadAtStart}`);
  try {
    if (
      only.has('latency') ||
      only.has('flood') ||
      only.has('cpu') ||
      only.has('memory') ||
      only.has('startup')
    ) {
      const rig = await startRig(tmp, opts.grantSeconds, log);
      try {
        await sleep(IDLE_SETTLE_MS);
        const idleMb = { spa: readRssMb(rig.spa.pid), fwknop: readRssMb(rig.fwknop.pid) };
        log(`idle RSS: spa ${idleMb.spa.toFixed(1)} MB, fwknopd ${idleMb.fwknop.toFixed(1)} MB`);
        const systems = [rig.spa, rig.fwknop] as const;
        if (only.has('latency')) {
          log(`1. open latency, ${opts.latencySamples} samples each`);
          results.latencyFloor = await floorPhase(rig, opts.latencySamples);
          log(`   method floor (port already open): median ${fmtMs(results.latencyFloor.p50)} ms`);
          results.latency = await latencyPhase(rig, systems, opts.latencySamples, opts.openTimeoutMs);
          for (const l of results.latency) {
            log(
              `   ${l.system}: median ${fmtMs(l.summary.p50)} ms, p99 ${fmtMs(l.summary.p99)} ms, ${l.failures} failed`,
            );
          }
        }
        if (only.has('flood')) {
          log(`2. legit opens under forged floods at ${opts.floodRates.join(', ')} packets/s`);
          results.flood = await floodPhase(rig, opts, log);
        }
        if (only.has('cpu')) {
          log(`3. daemon CPU per forged packet (${opts.cpuMs / 1000} s floods)`);
          results.cpu = await cpuPhase(rig, opts, log);
        }
        if (only.has('memory')) {
          log(`4. resident memory, idle and through a ${opts.memoryFloodMs / 1000} s flood`);
          results.memory = await memoryPhase(rig, opts, log, idleMb);
          log(`4b. resident memory of the daemon through ${opts.stepRolls} step rolls (simulated clock)`);
          results.stepRolls = await stepRollsPhase(rig, tmp, opts, log);
        }
        if (only.has('startup')) {
          log(`6. client start-up, ${opts.startupRuns} runs`);
          results.startup = await startupPhase(
            rig.prober,
            tmp,
            rig.spa.setup.profileUri,
            opts,
            results.notes,
          );
          log(
            `   median ${fmtMs(results.startup.summary.p50)} ms, p99 ${fmtMs(results.startup.summary.p99)} ms`,
          );
        }
      } finally {
        await rig.close();
      }
    }
    if (only.has('scaling')) {
      log(`5. cost per packet with ${opts.scalingClients.join(', ')} clients; config load`);
      results.scaling = await scalingPhase(opts, log);
      results.configLoad = await configLoadPhase(tmp, opts, log, results.notes);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  results.durationS = (performance.now() - started) / 1000;
  results.machine.loadAtEnd = loadavg()[0] ?? Number.NaN;
  printTable(results);
  const path = writeReport(results, opts.outDir);
  log(`bench report: ${path}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
