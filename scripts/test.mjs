#!/usr/bin/env node
// Runs every test: lint/format check, unit tests of each package, then the namespace lab's
// end-to-end tests (serially). Prints one plain summary line `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2); // optional: `node scripts/test.mjs unit` or `e2e`

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

function runNodeTests(label, files, extra) {
  if (files.length === 0) return { pass: 0, fail: 0, skipped: 0 };
  process.stdout.write(`\n=== ${label}: ${files.length} test files ===\n`);
  const tap = join(root, `.test-${label}.tap`);
  rmSync(tap, { force: true });
  const r = spawnSync(
    process.execPath,
    [
      '--test',
      ...extra,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { cwd: root, stdio: 'inherit' },
  );
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (k) => Number(text.match(new RegExp(`^# ${k} (\\d+)$`, 'm'))?.[1] ?? 0);
  const res = { pass: count('pass'), fail: count('fail') + count('cancelled'), skipped: count('skipped') };
  if (r.status !== 0 && res.fail === 0) res.fail = 1; // crashed runner counts as a failure
  return res;
}

let lintFailed = 0;
if (only.length === 0 || only.includes('lint')) {
  process.stdout.write('=== lint + format (biome check) ===\n');
  const biome = join(root, 'node_modules/.bin/biome');
  const r = spawnSync(biome, ['check', '.'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) lintFailed = 1;
}

const totals = { pass: 0, fail: lintFailed, skipped: 0 };
const add = (r) => {
  totals.pass += r.pass;
  totals.fail += r.fail;
  totals.skipped += r.skipped;
};

if (only.length === 0 || only.includes('unit')) {
  const unit = ['shared', 'server', 'client'].flatMap((p) =>
    findTests(join(root, 'packages', p, 'dist', 'test')),
  );
  add(runNodeTests('unit', unit, []));
}
if (only.length === 0 || only.includes('e2e')) {
  const e2e = findTests(join(root, 'test', 'lab', 'dist', 'e2e'));
  add(runNodeTests('e2e', e2e, ['--test-concurrency=1']));
}

process.stdout.write(`\n${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped\n`);
process.exit(totals.fail > 0 ? 1 : 0);
