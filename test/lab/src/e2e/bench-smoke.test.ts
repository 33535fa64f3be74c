/**
 * Smoke run of `npm run bench` (`run.js --quick`): a few samples of every step, short floods, the
 * report written to a temp dir. Checks that the bench still runs end to end and measures both
 * systems; never checks a goal (timings do not fail CI). Needs root (skipped loudly otherwise,
 * failed under CI=true) and the bench's Debian packages.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BenchResults } from '../bench/results.js';
import { labAvailable } from '../lab/index.js';

const RUN = new URL('../bench/run.js', import.meta.url).pathname;
const TIMEOUT_MS = 150_000;
const TOOLS = ['fwknopd', 'fwknop', 'gcc'];

function missingTools(): string[] {
  return TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
}

test('bench --quick measures spa and fwknopd and writes a report', { timeout: TIMEOUT_MS + 10_000 }, (t) => {
  if (!labAvailable(t)) return;
  const missing = missingTools();
  if (missing.length) {
    const msg = `bench smoke test needs ${missing.join(', ')} (apt-get install fwknop-server fwknop-client gcc, or node scripts/setup.mjs --bench)`;
    process.stderr.write(`\n!!! SKIPPING: ${msg} !!!\n\n`);
    t.skip(msg);
    return;
  }
  const out = mkdtempSync(join(tmpdir(), 'spa-bench-smoke-'));
  try {
    const r = spawnSync(process.execPath, [RUN, '--quick', '--out', out], {
      encoding: 'utf8',
      timeout: TIMEOUT_MS,
    });
    assert.equal(
      r.status,
      0,
      `bench exited ${r.status ?? r.signal}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`,
    );
    assert.match(r.stdout, /bench report: .*benchmarks\.md/);
    for (const f of ['benchmarks.md', 'benchmarks.svg', 'benchmarks.json'])
      assert.ok(existsSync(join(out, f)), f);
    const md = readFileSync(join(out, 'benchmarks.md'), 'utf8');
    assert.match(md, /fwknopd/);
    assert.match(md, /spa-server/);
    assert.match(
      readFileSync(join(out, 'benchmarks.svg'), 'utf8'),
      /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/,
    );

    const res = JSON.parse(readFileSync(join(out, 'benchmarks.json'), 'utf8')) as BenchResults;
    for (const system of ['spa', 'fwknop'] as const) {
      const lat = res.latency.find((l) => l.system === system);
      assert.ok(
        lat && lat.summary.n > 0 && Number.isFinite(lat.summary.p50),
        `${system}: open latency measured`,
      );
      assert.ok(
        res.flood.some((f) => f.system === system && f.attempts > 0 && f.sent > 0),
        `${system}: flood run`,
      );
      assert.ok(
        res.cpu.some((c) => c.system === system && c.packets > 0),
        `${system}: CPU measured`,
      );
      const mem = res.memory.find((m) => m.system === system);
      assert.ok(mem && mem.idleMb > 0 && mem.endMb > 0, `${system}: memory measured`);
    }
    assert.ok(
      res.flood.some((f) => f.scenario === 'stale-port') &&
        res.flood.some((f) => f.scenario === 'current-port'),
    );
    assert.ok(res.scaling.length >= 2 && res.scaling.every((s) => s.forgedUs > 0 && s.validUs > 0));
    assert.ok(res.configLoad && res.configLoad.ms > 0, 'config load measured');
    assert.ok(res.startup && res.startup.summary.n > 0, 'client start-up measured');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
