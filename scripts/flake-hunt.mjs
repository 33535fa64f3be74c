#!/usr/bin/env node
// Flake hunt: clone this repository's current commit fresh into a `mktemp -d`-like folder (mode
// 0700, as a new user's clone might be), set it up, and run a part of the suite N times in a
// row, optionally with a CPU hog on every core. Prints pass/fail counts per run, the tests that
// failed, and a total. Bounded: at most 20 runs, and a time limit for the whole hunt.
//
//   node scripts/flake-hunt.mjs [--runs 3] [--hog] [--part e2e|unit|all] [--max-minutes 90] [--keep]
//   node scripts/flake-hunt.mjs --fresh [--runs 10] [--hog] [--max-minutes 150]
//
// --fresh: every run is a new clone in a new 0700 folder running `.ci/run` (CI=true, then
// `npm test`, the README's command, which does its own set-up): what CI does, where a skip is a
// failure. The clone is removed after its run unless --keep. Without it, one clone is set up once and `scripts/test.mjs PART` runs
// in it N times.
//
// Only committed work is tested (it is a clone). Logs of every run are kept in the folder
// printed at the start, also when the clone is removed. Exit code 0 only if every run passed.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MAX_RUNS = 20;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    hog: { type: 'boolean', default: false },
    part: { type: 'string', default: 'e2e' },
    'max-minutes': { type: 'string', default: '90' },
    keep: { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
  },
});
const runs = Number(opt.runs);
const maxMinutes = Number(opt['max-minutes']);
if (!Number.isInteger(runs) || runs < 1 || runs > MAX_RUNS) fail(`--runs must be 1..${MAX_RUNS}`);
if (!(maxMinutes > 0 && maxMinutes <= 600)) fail('--max-minutes must be in (0, 600]');
if (!['e2e', 'unit', 'all'].includes(opt.part)) fail('--part must be e2e, unit or all');
if (opt.fresh && opt.part !== 'e2e' && opt.part !== 'all') fail('--fresh runs npm test: the whole suite');
const part = opt.fresh ? 'all' : opt.part;
const deadline = Date.now() + maxMinutes * 60_000;

function fail(msg) {
  process.stderr.write(`flake-hunt: ${msg}\n`);
  process.exit(2);
}
const say = (line) => {
  process.stdout.write(`${line}\n`);
  appendFileSync(join(logDir, 'summary.txt'), `${line}\n`);
};
const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });

const commit = git('rev-parse', 'HEAD').stdout.trim();
if (!commit) fail(`${root} is not a git checkout`);
if (git('status', '--porcelain', '--untracked-files=no').stdout.trim())
  process.stderr.write('flake-hunt: note: uncommitted changes are not in the clone\n');

const logDir = mkdtempSync(join(tmpdir(), 'spa-flake-hunt-logs-'));
const what = opt.fresh ? '.ci/run (CI=true npm test), each in a fresh clone' : `'${part}'`;
say(
  `flake-hunt: commit ${commit.slice(0, 12)}, ${runs} run(s) of ${what}${opt.hog ? ' with a CPU hog' : ''}`,
);
say(`flake-hunt: logs ${logDir}`);

/** A clone of the commit in a new folder of mode 0700 (like mktemp -d); returns its path. */
function freshClone() {
  const parent = mkdtempSync(join(tmpdir(), 'spa-flake-hunt-'));
  const clone = join(parent, 'spa');
  const c = spawnSync('git', ['clone', '--quiet', '--no-checkout', root, clone], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`git clone failed: ${c.stderr}`);
  const co = spawnSync('git', ['checkout', '--quiet', commit], { cwd: clone, encoding: 'utf8' });
  if (co.status !== 0) throw new Error(`git checkout ${commit} failed: ${co.stderr}`);
  say(`flake-hunt: clone ${clone}`);
  return { parent, clone };
}
const parents = [];

/** Runs a command to a log file, bounded by the hunt's deadline; resolves with its exit status. */
function runLogged(cmd, args, cwd, log) {
  return new Promise((resolve) => {
    const left = deadline - Date.now();
    if (left <= 0) return resolve({ status: null, timedOut: true });
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out = (d) => appendFileSync(log, d);
    child.stdout.on('data', out);
    child.stderr.on('data', out);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL'); // its own process group: the runner and its tests
      } catch {}
    }, left);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, timedOut });
    });
  });
}

const hogs = [];
function startHog() {
  const seconds = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
  for (let i = 0; i < cpus().length; i++) {
    const h = spawn('timeout', [String(seconds), 'sha256sum', '/dev/zero'], { stdio: 'ignore' });
    hogs.push(h);
  }
  say(
    `flake-hunt: CPU hog on ${hogs.length} core(s) (timeout ${seconds} s): pids ${hogs.map((h) => h.pid).join(' ')}`,
  );
}
function stopHog() {
  // SIGTERM, not SIGKILL: timeout(1) passes it on to its sha256sum.
  for (const h of hogs) if (h.exitCode === null) h.kill('SIGTERM');
}
process.on('SIGINT', () => {
  stopHog();
  process.exit(130);
});

let exitCode = 0;
try {
  let shared;
  if (!opt.fresh) {
    shared = freshClone();
    parents.push(shared.parent);
    const setup = await runLogged(
      process.execPath,
      ['scripts/setup.mjs'],
      shared.clone,
      join(logDir, 'setup.log'),
    );
    if (setup.status !== 0) throw new Error(`setup failed (exit ${setup.status}); see ${logDir}/setup.log`);
  }

  if (opt.hog) startHog();
  const parts = part === 'all' ? [] : [part];
  const total = { pass: 0, fail: 0, skipped: 0, green: 0, done: 0 };
  for (let i = 1; i <= runs; i++) {
    if (Date.now() >= deadline) {
      say(`flake-hunt: time limit (${maxMinutes} min) reached before run ${i}`);
      exitCode = 1;
      break;
    }
    const log = join(logDir, `run-${i}.log`);
    const started = Date.now();
    let r;
    if (opt.fresh) {
      const own = freshClone();
      r = await runLogged('sh', ['.ci/run'], own.clone, log); // CI=true npm test
      if (opt.keep) parents.push(own.parent);
      else rmSync(own.parent, { recursive: true, force: true });
    } else {
      r = await runLogged(process.execPath, ['scripts/test.mjs', ...parts], shared.clone, log);
    }
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const m = [...text.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped$/gm)].at(-1);
    const [pass, failed, skipped] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 1, 0];
    const bad = r.status !== 0 || failed > 0 || r.timedOut;
    total.pass += pass;
    total.fail += failed;
    total.skipped += skipped;
    total.done += 1;
    if (!bad) total.green += 1;
    else exitCode = 1;
    const secs = Math.round((Date.now() - started) / 1000);
    say(
      `run ${i}/${runs}: ${pass} passed, ${failed} failed, ${skipped} skipped, ${secs} s${r.timedOut ? ' (killed at the time limit)' : ''}${bad ? ' FAILED' : ''}`,
    );
    // The spec reporter marks failed tests with ✖; the summary repeats them, so de-duplicate.
    const failedNames = [
      ...new Set(
        text
          .split('\n')
          .filter((l) => /^\s*✖ /.test(l))
          .map((l) => l.trim()),
      ),
    ];
    for (const name of failedNames.slice(0, 20)) say(`    ${name}`);
  }
  say(
    `flake-hunt total: ${total.green}/${total.done} runs green; tests ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`,
  );
} catch (err) {
  say(`flake-hunt: ${err.message}`);
  exitCode = 2;
} finally {
  stopHog();
  for (const parent of parents) {
    if (opt.keep) say(`flake-hunt: clone kept in ${parent}`);
    else rmSync(parent, { recursive: true, force: true });
  }
}
process.exit(exitCode);
