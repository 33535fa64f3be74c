#!/usr/bin/env node
/**
 * Fuzz the frame parser and the knock pipeline (see run.ts):
 *
 *   node packages/server/dist/tools/fuzz/fuzz.js --frames 1000000 [--seed S] [--json]
 *
 * Exits 1 if it found a crash or a grant that should not happen, or if a control knock did
 * not grant (then the run proves nothing).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type FuzzReport, runFuzz } from './run.js';

export function main(argv: readonly string[]): number {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      frames: { type: 'string', default: '100000' },
      seed: { type: 'string', default: String(Date.now()) },
      json: { type: 'boolean', default: false },
    },
  });
  const frames = Number(values.frames);
  if (!Number.isSafeInteger(frames) || frames < 1) {
    process.stderr.write(`--frames: expected a positive integer, got ${values.frames}\n`);
    return 2;
  }
  const report = runFuzz({ frames, seed: values.seed });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
  return verdict(report) ? 0 : 1;
}

/** True when the run found nothing and its controls worked. */
export function verdict(r: FuzzReport): boolean {
  return r.crashes === 0 && r.grants === 0 && r.controls > 0 && r.controlsGranted === r.controls;
}

function summary(r: FuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.frames} frames in ${r.elapsedMs} ms (${Math.round((r.frames / r.elapsedMs) * 1000)}/s)`,
    `controls: ${r.controlsGranted}/${r.controls} granted`,
    `findings: ${r.crashes} crashes, ${r.grants} unexpected grants`,
    `frames by kind: ${JSON.stringify(r.bySource)}`,
    `counters: ${JSON.stringify(r.counters)}`,
    ...r.findings.map((f) => `  ${f.kind} at frame ${f.frame} (${f.source}): ${f.detail}\n    ${f.hex}`),
  ];
  return `${lines.join('\n')}\n${verdict(r) ? 'OK' : 'FAIL'}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
