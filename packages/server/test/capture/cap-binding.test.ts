// The patched `cap` (patches/cap@0.2.1.patch, docs/capture.md) on real interfaces, in two
// throw-away network namespaces joined by a veth pair (needs root; CI runs as root):
// A: spa-ca 192.0.2.1 (senders), B: spa-cb 192.0.2.2 (capture).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addVethSync, createNamespacesSync, execInSync, inNamespace, type Namespaces } from '@spa/netns';

const isRoot = process.getuid?.() === 0;
const inCI = process.env.CI === 'true';
let netns: Namespaces | undefined;
const nsA = () => netns!.ns.a!;
const nsB = () => netns!.ns.b!;
const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, '_cap-child.js');
/** flood.c from the bench (not built by tsc: read from the source tree). */
const FLOOD_SOURCE = join(HERE, '../../../../../test/lab/src/bench/flood.c');
/** The C heap meter (not built by tsc: read from the source tree). */
const METER_SOURCE = join(HERE, '../../../test/capture/_malloc-meter.c');
const tempDirs: string[] = [];

/** The lab's compileC, without importing across packages. */
function compileC(source: string, out: string): string {
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', out, source], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`gcc ${source}: ${r.error ? String(r.error) : r.stderr}`);
  return out;
}

let meterPath: string | undefined;
/** Builds _malloc-meter.c (read from the source tree) once, with Node's own headers. */
function mallocMeter(): string {
  if (meterPath) return meterPath;
  const includes = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'];
  const include = includes.find((d) => existsSync(join(d, 'node_api.h')));
  assert.ok(include, `no node_api.h in ${includes.join(' or ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'spa-malloc-meter-'));
  tempDirs.push(dir);
  const out = join(dir, 'malloc-meter.node');
  const r = spawnSync('cc', ['-shared', '-fPIC', '-O2', '-Wall', `-I${include}`, '-o', out, METER_SOURCE], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0)
    throw new Error(`cc ${METER_SOURCE}: ${r.error ? String(r.error) : r.stderr}`);
  chmodSync(dir, 0o755);
  meterPath = out;
  return out;
}

let ready = false;
function needsNamespace(t: { skip(msg: string): void }): boolean {
  if (ready) return true;
  const why = isRoot
    ? 'namespace setup failed (see before hook)'
    : 'needs root: real libpcap in network namespaces';
  if (inCI) assert.fail(`${why} (CI=true, not skipping)`);
  t.skip(`SKIPPED LOUDLY: ${why}`);
  return false;
}

function runChild(args: string[], timeout: number, env: Record<string, string> = {}): Record<string, number> {
  const r = execInSync(nsB(), [process.execPath, '--expose-gc', CHILD, ...args], {
    timeout,
    env: { ...process.env, CAP_SENDER_NS: nsA(), ...env },
  });
  assert.equal(r.signal, null, `child killed by ${r.signal}; stderr: ${r.stderr}`);
  assert.equal(r.status, 0, `child exited ${r.status}; stderr: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
}

describe('patched cap on real interfaces (network namespaces)', () => {
  before(() => {
    if (!isRoot) return;
    netns = createNamespacesSync(['a', 'b']);
    addVethSync(
      { ns: nsA(), ifname: 'spa-ca', addrs: ['192.0.2.1/24'] },
      { ns: nsB(), ifname: 'spa-cb', addrs: ['192.0.2.2/24'] },
    );
    ready = true;
  });

  after(() => {
    if (!isRoot) return;
    netns?.destroySync();
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });

  test('1,000 setFilter calls while frames stream: no matching frame lost or doubled, no other delivered', (t) => {
    if (!needsNamespace(t)) return;
    const r = runChild(['setfilter-stream'], 120_000);
    t.diagnostic(JSON.stringify(r));
    assert.ok(r.sent! > 0 && r.duringCalls! > 0, 'the sender streamed during the calls');
    assert.equal(r.missing, 0, `${r.missing} of ${r.sent} matching frames lost`);
    assert.equal(r.twice, 0, 'a matching frame delivered twice');
    assert.equal(r.received, r.sent);
    assert.equal(r.nonMatching, 0, 'a frame no filter admits was delivered');
  });

  // The leak is measured where a native leak lives: the C heap in use (mallinfo2, through the
  // test's _malloc-meter.c addon), with open descriptors and mappings beside it. RSS is only
  // reported: with no cap at all, the same loop of plain JS objects moves RSS outside the JS
  // heap by ±1.5 MB per 2,000 cycles (V8's heap and malloc's arenas; docs/capture.md).
  test('10,000 open/close cycles with GC in one process: no crash, C heap growth ≤ 1 MB, no descriptor or mapping left', (t) => {
    if (!needsNamespace(t)) return;
    const r = runChild(['gc-cycles', '10000'], 600_000, { CAP_MALLOC_METER: mallocMeter() });
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.cycles, 10_000);
    assert.ok(r.collected! >= 9_000, `only ${r.collected} Cap objects were garbage-collected`);
    assert.ok(
      r.mallocGrowthKiB! <= 1024,
      `the C heap in use grew ${r.mallocGrowthKiB} KiB over 10,000 cycles (goal ≤ 1 MB)`,
    );
    assert.equal(r.fdGrowth, 0, `${r.fdGrowth} descriptors left open`);
    assert.ok(r.mapsGrowth! <= 8, `${r.mapsGrowth} more memory mappings (a ring left mapped?)`);
    // RSS (rssGrowthKiB, leakEstimateKiB) is in the diagnostic only: its noise, seen up to
    // ±1.8 MB per window here, would make any bound near the goal fail at random.
  });

  test('the leak measure sees a leak: closed Cap objects kept reachable grow the C heap past the goal rate', (t) => {
    if (!needsNamespace(t)) return;
    // What spa did with upstream cap (retainedCaps): every closed object kept. ~250 B a cycle.
    const r = runChild(['gc-cycles', '4000', 'retain'], 300_000, { CAP_MALLOC_METER: mallocMeter() });
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.retained, 4000);
    // The goal's rate, 1 MB per 10,000 cycles, is 410 KiB per 4,000.
    assert.ok(
      r.mallocGrowthKiB! > 410,
      `retaining 4,000 objects grew the C heap only ${r.mallocGrowthKiB} KiB: the measure is blind`,
    );
  });

  // What the capture itself delays a timer by is the longest it holds the event loop: from the
  // first to the last frame handled in one turn, in CPU time of the process (`maxTurnCpuMs`; the
  // wall time, also reported, includes preemption by other processes); asserted ≤ 50 ms. Upstream cap
  // (drain the ring in one callback) held it for the whole burst: 160 ms and more at this rate,
  // docs/capture.md. The timer's own lateness also depends on the scheduler of the shared 2-core
  // machine (a control process with the same timer and no capture, measured during the same
  // flood, is 30-120 ms late at worst under load; a busy process is preempted more), so it is
  // compared at the 99th percentile: capture p99 ≤ control p99 + 50 ms. Worst cases are reported.
  test('a 100k pps flood at a filtered port does not delay a 10 ms timer by more than 50 ms', async (t) => {
    if (!needsNamespace(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'spa-cap-flood-'));
    try {
      const flood = compileC(FLOOD_SOURCE, join(dir, 'flood'));
      const port = 45100;
      const floodMs = 3000;
      const start = (extra: string[]) => {
        const [ip, ...inB] = inNamespace(nsB(), [
          process.execPath,
          CHILD,
          'flood-timer',
          `${port}`,
          `${floodMs}`,
          ...extra,
        ]);
        const child = spawn(ip, inB);
        const state = { out: '' };
        child.stdout.on('data', (d: Buffer) => {
          state.out += d.toString();
        });
        const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
        return { state, exited };
      };
      const capture = start([]);
      const control = start(['control']);
      for (
        let i = 0;
        i < 500 && !(capture.state.out.includes('ready') && control.state.out.includes('ready'));
        i++
      )
        await new Promise((r) => setTimeout(r, 20));
      assert.ok(
        capture.state.out.includes('ready') && control.state.out.includes('ready'),
        'children did not start',
      );
      const args = ['--dst', '192.0.2.2', '--port', `${port}`, '--size', '336', '--rate', '100000'];
      const sent = execInSync(
        nsA(),
        [flood, ...args, '--duration-ms', `${floodMs}`, '--max-packets', '400000'],
        { timeout: 30_000 },
      );
      assert.equal(sent.status, 0, sent.stderr);
      assert.equal(await capture.exited, 0);
      assert.equal(await control.exited, 0);
      type Timer = { frames: number; maxTurnCpuMs: number; worstLateMs: number; p99LateMs: number };
      const last = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as Timer;
      const f = JSON.parse(sent.stdout.trim().split('\n').at(-1)!) as { sent: number; rate: number };
      const r = last(capture.state.out);
      const c = last(control.state.out);
      t.diagnostic(JSON.stringify({ flood: f, capture: r, control: c }));
      assert.ok(f.rate >= 50_000, `the flood reached only ${Math.round(f.rate)} pps`);
      assert.ok(r.frames >= 10_000, `the capture saw only ${r.frames} frames`);
      assert.ok(r.maxTurnCpuMs <= 50, `the capture held the event loop for ${r.maxTurnCpuMs} ms of CPU`);
      assert.ok(
        r.p99LateMs <= c.p99LateMs + 50,
        `a 10 ms timer was ${r.p99LateMs} ms late at p99 (control without capture: ${c.p99LateMs} ms)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
