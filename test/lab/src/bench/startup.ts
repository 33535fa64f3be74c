/**
 * Step 6: client start-up, the wall time of `spa-client open ssh --no-wait` from process start
 * to exit (node start, module load, profile read, one packet sealed and sent). Run by the
 * prober inside the client's namespace, so `ip netns exec` is not part of it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { BenchOptions } from './options.js';
import type { Prober } from './probe.js';
import type { StartupResult } from './results.js';
import { SPA_CLIENT_BIN, SPA_SERVICE } from './spa.js';
import { summarize } from './stats.js';

const RUN_TIMEOUT_MS = 10_000;

export async function startupPhase(
  prober: Prober,
  dir: string,
  profileUri: string,
  opts: BenchOptions,
  notes: string[],
): Promise<StartupResult> {
  const config = join(dir, 'client.toml');
  const imported = spawnSync(process.execPath, [SPA_CLIENT_BIN, '--config', config, 'import', profileUri], {
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
  });
  if (imported.status !== 0) throw new Error(`spa-client import failed: ${imported.stderr}`);
  const argv = [process.execPath, SPA_CLIENT_BIN, '--config', config, 'open', SPA_SERVICE, '--no-wait'];
  await prober.run(argv, RUN_TIMEOUT_MS); // warm the page cache once
  const times: number[] = [];
  let failures = 0;
  for (let i = 0; i < opts.startupRuns; i++) {
    const r = await prober.run(argv, RUN_TIMEOUT_MS);
    if (r.code === 0) times.push(r.ms);
    else {
      failures++;
      if (failures === 1)
        notes.push(`spa-client open --no-wait failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
    }
  }
  const floor: number[] = [];
  for (let i = 0; i < opts.startupRuns; i++) {
    floor.push((await prober.run([process.execPath, '-e', '0'], RUN_TIMEOUT_MS)).ms);
  }
  return {
    runs: opts.startupRuns,
    failures,
    summary: summarize(times),
    command: 'spa-client open ssh --no-wait',
    nodeFloor: summarize(floor),
  };
}
