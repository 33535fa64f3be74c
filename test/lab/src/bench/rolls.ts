/**
 * Step 4b: does the daemon's memory grow with step rolls? The real daemon (its capture on the
 * server's interface, the bench's config, a simulated clock, no firewall) rolls `stepRolls`
 * steps in a child process (rolls-child.ts), which takes seconds instead of days; RSS is read
 * after GC before and after. Each roll re-arms the capture filter in place (issue 13).
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions } from './options.js';
import type { StepRollsResult } from './results.js';
import type { Rig } from './rig.js';

const CHILD = new URL('./rolls-child.js', import.meta.url).pathname;

export async function stepRollsPhase(
  rig: Rig,
  tmp: string,
  opts: BenchOptions,
  log: (s: string) => void,
): Promise<StepRollsResult> {
  const stateDir = mkdtempSync(join(tmp, 'rolls-state-'));
  const r = await rig.lab.exec(
    'server',
    [process.execPath, '--expose-gc', CHILD, rig.spa.setup.configPath, stateDir, String(opts.stepRolls)],
    { timeoutMs: 600_000 },
  );
  if (r.code !== 0) throw new Error(`step rolls failed (${r.code}): ${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as StepRollsResult;
  log(
    `   ${result.rolls} rolls: RSS ${result.warmMb.toFixed(1)} → ${result.endMb.toFixed(1)} MB, by tenths ${result.series.join(' ')} ` +
      `(${(result.endMb - result.warmMb >= 0 ? '+' : '') + (result.endMb - result.warmMb).toFixed(2)} MB), ${result.rollMs.toFixed(2)} ms per roll`,
  );
  return result;
}
