// Real capture through libpcap, in a throw-away network namespace (needs root; CI runs as root).
// Each test runs one scenario of _pcap-child.js inside the namespace and checks what it saw.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addVethSync, createNamespacesSync, execInSync, type Namespaces } from '@spa/netns';
import { readableCopy } from './_readable-copy.js';

const isRoot = process.getuid?.() === 0;
const inCI = process.env.CI === 'true';
let netns: Namespaces | undefined;
const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, '_pcap-child.js');
/** packages/server, seen from dist/test/capture. */
const PACKAGE_DIR = join(HERE, '..', '..', '..');

interface Seen {
  family: number;
  src: string;
  dst: string;
  protocol: string;
  srcPort: number;
  dstPort: number;
  payload: string;
}
interface Report {
  packets: Seen[];
  rejects: string[];
  [key: string]: unknown;
}

let ready = false;
function needsNamespace(t: { skip(msg: string): void }): boolean {
  if (ready) return true;
  const why = isRoot
    ? 'namespace setup failed (see before hook)'
    : 'needs root: real libpcap capture in a network namespace';
  if (inCI) assert.fail(`${why} (CI=true, not skipping)`);
  t.skip(`SKIPPED LOUDLY: ${why}`);
  return false;
}

const dropTo = (user: number) => ['setpriv', `--reuid=${user}`, `--regid=${user}`, '--clear-groups'];

function run(scenario: string, asUser?: number, child = CHILD): Report {
  const drop = asUser === undefined ? [] : dropTo(asUser);
  const r = execInSync(netns!.ns.cap!, [...drop, process.execPath, '--expose-gc', child, scenario], {
    timeout: 30_000,
  });
  assert.equal(r.signal, null, `child killed by ${r.signal}; stderr: ${r.stderr}`);
  assert.equal(r.status, 0, `child exited ${r.status}; stderr: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as Report;
}

const payloads = (r: Report) => r.packets.map((p) => p.payload).sort();

describe('PcapSource on real interfaces (network namespace)', () => {
  before(() => {
    if (!isRoot) return;
    netns = createNamespacesSync(['cap']);
    const ns = netns.ns.cap!;
    addVethSync(
      { ns, ifname: 'spa-va', addrs: ['192.0.2.1/24'] },
      { ns, ifname: 'spa-vb', addrs: ['192.0.2.2/24'] },
    );
    ready = true;
  });

  after(() => {
    // Always runs, also when a test failed; deleting the namespace removes the veth pair.
    netns?.destroySync();
  });

  test('delivers UDP to the filtered port (IPv4 and IPv6), nothing else, nothing after stop()', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('basic');
    assert.deepEqual(payloads(r), ['hello', 'six']);
    const v4 = r.packets.find((p) => p.payload === 'hello')!;
    assert.deepEqual(
      { family: v4.family, src: v4.src, dst: v4.dst, protocol: v4.protocol, dstPort: v4.dstPort },
      { family: 4, src: '127.0.0.1', dst: '127.0.0.1', protocol: 'udp', dstPort: 40001 },
    );
    const v6 = r.packets.find((p) => p.payload === 'six')!;
    assert.deepEqual({ family: v6.family, src: v6.src, dst: v6.dst }, { family: 6, src: '::1', dst: '::1' });
    assert.deepEqual(r.rejects, []);
  });

  test('sequence knocks: real TCP SYNs (v4, v6) delivered; SYN-ACK, ACK, out-of-range filtered; bad frames rejected', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('sequence');
    const tcp = r.packets.filter((p) => p.protocol === 'tcp').map((p) => `${p.family}:${p.dstPort}`);
    assert.deepEqual(tcp.sort(), ['4:50005', '6:50006', '6:50010']);
    assert.equal(r.packets.length, 3);
    assert.deepEqual(r.rejects.sort(), ['fragment', 'udp-length']);
  });

  test('setFilter changes the filter in place: no gap, no duplicate, old-only frames in the ring dropped', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('switch');
    const got = payloads(r);
    const count = (prefix: string) => got.filter((p) => p.startsWith(prefix)).length;
    for (const must of ['x ', 'y ', 'z ', 'u ', 'v '])
      assert.equal(count(must), 1, `${must}: ${got.join(' | ')}`);
    // Queued in the ring before the switch but matching only the old filter: re-filtered away.
    assert.equal(count('a '), 0, got.join(' | '));
    assert.equal(count('b '), 0, 'old filter gone at once');
    assert.equal(count('d '), 0, 'a replaced filter is gone too');
    assert.equal(r.handlesOpened, 1, 'one handle, never a second');
  });

  test('bounded dispatch: at most maxPerDispatch frames before the event loop turns, none lost', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('bounded');
    const perTurn = r.perTurn as number[];
    assert.equal(
      perTurn.reduce((a, b) => a + b, 0),
      50,
    );
    assert.ok(
      perTurn.every((n) => n <= 10),
      `frames per turn: ${perTurn.join(',')}`,
    );
    assert.deepEqual(r.rejects, []);
  });

  test('not promiscuous by default; promiscuous only when asked', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('promisc');
    assert.equal(r.promiscuity, '0');
    assert.equal(r.promiscuityOptedIn, '1');
  });

  test('device `any` (Linux cooked capture): each packet once, the outgoing copy rejected as link', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('any');
    assert.deepEqual(payloads(r), ['via any']);
    assert.ok(
      r.rejects.every((x) => x === 'link'),
      r.rejects.join(),
    );
  });

  test('several interfaces, one handle each, through a filter switch', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('multi');
    assert.deepEqual(payloads(r), ['on lo', 'on veth', 'on veth']);
    assert.deepEqual(
      r.packets
        .filter((p) => p.payload === 'on veth')
        .map((p) => p.dstPort)
        .sort(),
      [40001, 40009],
    );
    assert.equal(r.handlesOpened, 2, 'one per interface, the switch opened none');
  });

  test('50 filter changes with forced GC: one handle, every step seen once, no stale port', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('churn');
    const expected = Array.from({ length: 50 }, (_, i) => `step ${i + 1}`).sort();
    assert.deepEqual(payloads(r), expected);
    assert.equal(r.handlesOpened, 1);
  });

  test('open failures are typed CaptureErrors and the process survives GC of the failed handles', (t) => {
    if (!needsNamespace(t)) return;
    const r = run('failures');
    assert.equal(r.gcAvailable, true);
    const errors = r.errors as Array<{
      what: string;
      thrown: boolean;
      typed?: boolean;
      code?: string;
      hint?: string;
      message?: string;
    }>;
    const byWhat = Object.fromEntries(errors.map((e) => [e.what, e]));
    const expectedHints: Record<string, RegExp> = {
      'no such interface': /ip link/,
      'second of two fails': /ip link/,
      'bad filter': /bug/,
      'setFilter with a bad filter': /bug/,
    };
    for (const [what, hint] of Object.entries(expectedHints)) {
      const e = byWhat[what]!;
      assert.equal(e.thrown && e.typed, true, what);
      assert.equal(e.code, 'capture-open', what);
      assert.match(e.hint ?? '', hint, what);
    }
    assert.match(byWhat['no such interface']!.message ?? '', /spa-nope0/);
    assert.equal(byWhat['empty filter']!.code, 'capture-filter-input');
    assert.equal(byWhat['start twice']!.code, 'capture-state');
    assert.deepEqual(payloads(r), ['old filter still works']);
  });

  test('without privileges: capture-open with a permission hint, no crash', (t) => {
    if (!needsNamespace(t)) return;
    if (spawnSync('setpriv', ['--version']).status !== 0) {
      t.skip('SKIPPED LOUDLY: setpriv (util-linux) not installed');
      return;
    }
    const nobody = 65534;
    // The user must be able to run node itself; the checkout it may not reach (a clone under a
    // 0700 folder), so the child runs from a copy anyone can read.
    const node = spawnSync(dropTo(nobody)[0]!, [...dropTo(nobody).slice(1), process.execPath, '--version']);
    if (node.status !== 0) {
      const why = `user ${nobody} cannot run ${process.execPath}`;
      if (inCI) assert.fail(`${why} (CI=true, not skipping)`);
      t.skip(`SKIPPED LOUDLY: ${why}`);
      return;
    }
    const copy = readableCopy(PACKAGE_DIR, 'dist/test/capture/_pcap-child.js');
    let r: Report;
    try {
      r = run('noperm', nobody, copy.child);
    } finally {
      copy.remove();
    }
    const [e] = r.errors as Array<{ typed: boolean; code: string; message: string; hint: string }>;
    assert.ok(e, 'start() should have thrown');
    assert.equal(e.typed, true);
    assert.equal(e.code, 'capture-open');
    assert.match(e.message, /not permitted/i);
    assert.match(e.hint, /CAP_NET_RAW/);
  });
});
