/**
 * Tests of the namespace lab itself: it builds, hosts reach each other over IPv4 and IPv6, nothing
 * leaks into or out of the root namespace, labs don't collide, and nothing outlives its owner.
 * Needs root; skipped loudly otherwise (failed under CI=true).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createNamespacesSync, IFNAMSIZ_MAX, IP_BIN, listNamespaces, nsName } from '@spa/netns';
import { type Lab, labAvailable, startLab, startServices } from '../lab/index.js';

const T = { timeout: 15_000 };
const LAB_INDEX = new URL('../lab/index.js', import.meta.url).href;

const rootLinks = () =>
  spawnSync(IP_BIN, ['-o', 'link'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(':')[1]?.trim() ?? '')
    .filter(Boolean)
    .sort();

/** Gone = no such process, or a zombie waiting to be reaped. */
function gone(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    return / Z /.test(readFileSync(stat, 'utf8').replace(/^.*\)/, ''));
  } catch {
    return true;
  }
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('one lab', () => {
  let lab: Lab | undefined;
  let linksBefore: string[] = [];
  const up = () => {
    assert.ok(lab, 'lab was not built');
    return lab;
  };

  before(async () => {
    if (!labAvailable({ skip: () => {} })) return;
    linksBefore = rootLinks();
    lab = await startLab();
  });
  after(async () => {
    const t0 = performance.now();
    await lab?.teardown();
    if (lab)
      process.stderr.write(
        `lab up ${lab.upMs.toFixed(0)} ms, down ${(performance.now() - t0).toFixed(0)} ms\n`,
      );
  });

  test('hosts get documentation addresses, unique names and valid interface names', T, async (t) => {
    if (!labAvailable(t)) return;
    const l = up();
    const expected = { server: 1, client: 2, attacker: 3 } as const;
    for (const [name, i] of Object.entries(expected)) {
      const h = l.host(name);
      assert.equal(h.ipv4, `192.0.2.${i}`);
      assert.equal(h.ipv6, `2001:db8::${i}`);
      assert.equal(h.ns, nsName(l.runId, name));
      assert.ok(h.ns.startsWith('spal-') && h.ifname.startsWith('spal-'));
      assert.ok(h.ifname.length <= IFNAMSIZ_MAX, h.ifname);
      const addr = await l.exec(h, ['ip', '-o', 'addr', 'show'], { check: true });
      assert.match(addr.stdout, new RegExp(`${h.ifname}\\s+inet 192\\.0\\.2\\.${i}/24 `));
      assert.match(addr.stdout, new RegExp(`${h.ifname}\\s+inet6 2001:db8::${i}/64 scope global nodad`));
      assert.match(addr.stdout, /lo\s+inet 127\.0\.0\.1\/8/);
    }
    for (const ns of l.namespaces) assert.ok(listNamespaces().includes(ns), ns);
    assert.throws(() => l.host('nobody'), /no host "nobody"/);
  });

  test('client reaches a service on the server over IPv4 and IPv6', T, async (t) => {
    if (!labAvailable(t)) return;
    const l = up();
    const svc = await startServices(l, [22, 8080]);
    const c = await l.agent('client');
    for (const addr of [l.hosts.server.ipv4, l.hosts.server.ipv6]) {
      for (const port of svc.ports) {
        const r = await c.connect(addr, port, 1000, { banner: true });
        assert.deepEqual(r.ok && r.banner, svc.banner(port), `${addr} ${port}: ${JSON.stringify(r)}`);
        const plain = await c.connect(addr, port, 1000);
        assert.ok(plain.ok && plain.ms < 1000, JSON.stringify(plain));
      }
    }
    // probes do not keep their connections open
    const ss = await l.exec('client', ['ss', '-tnH', 'state', 'established'], { check: true });
    assert.equal(ss.stdout.trim(), '');
  });

  test('attacker reaches it too (no firewall yet)', T, async (t) => {
    if (!labAvailable(t)) return;
    const l = up();
    const a = await l.agent('attacker');
    for (const addr of [l.hosts.server.ipv4, l.hosts.server.ipv6]) {
      const r = await a.connect(addr, 22, 1000, { banner: true });
      assert.ok(r.ok && r.banner === 'spa-lab service 22', JSON.stringify(r));
    }
  });

  test('a held connection keeps carrying data (hold + echo)', T, async (t) => {
    if (!labAvailable(t)) return;
    const l = up();
    const c = await l.agent('client');
    for (const addr of [l.hosts.server.ipv4, l.hosts.server.ipv6]) {
      const h = await c.hold(addr, 8080);
      assert.ok(h.ok, JSON.stringify(h));
      for (const word of ['first-', 'second-']) {
        const e = await c.echo(h.handle, word + Math.random().toString(36).slice(2));
        assert.ok(e.ok, JSON.stringify(e));
      }
      assert.deepEqual(await c.close(h.handle), { ok: true });
      assert.deepEqual(await c.echo(h.handle, 'x'), { ok: false, error: 'no-such-handle' });
    }
  });

  test('a closed port refuses and a silent address times out, both within bounds', T, async (t) => {
    if (!labAvailable(t)) return;
    const c = await up().agent('client');
    const refused = await c.connect('192.0.2.1', 9, 1000);
    assert.equal(refused.ok ? 'ok' : refused.error, 'ECONNREFUSED');
    const refused6 = await c.connect('2001:db8::1', 9, 1000);
    assert.equal(refused6.ok ? 'ok' : refused6.error, 'ECONNREFUSED');
    const t0 = performance.now();
    const silent = await c.connect('192.0.2.99', 22, 300);
    assert.equal(silent.ok ? 'ok' : silent.error, 'timeout');
    assert.ok(performance.now() - t0 < 1000, 'timeout was not honoured');
  });

  test('a UDP datagram arrives from the chosen source port, v4 and v6', T, async (t) => {
    if (!labAvailable(t)) return;
    const l = up();
    const s = await l.agent('server');
    const c = await l.agent('client');
    for (const [bind, to, from] of [
      ['0.0.0.0', '192.0.2.1', '192.0.2.2'],
      ['::', '2001:db8::1', '2001:db8::2'],
    ] as const) {
      const u = await s.listenUdp(62201, bind);
      assert.ok(u.ok, JSON.stringify(u));
      assert.deepEqual(
        await c.udp(to, 62201, new Uint8Array([0xde, 0xad, 0xbe, 0xef]), { sourcePort: 40001 }),
        {
          ok: true,
        },
      );
      const got = await s.received(u.handle, 1, 1000);
      assert.deepEqual(got, { ok: true, datagrams: [{ address: from, port: 40001, hex: 'deadbeef' }] });
      await s.close(u.handle);
    }
  });

  test('no route out of the lab and nothing new in the root namespace', T, async (t) => {
    if (!labAvailable(t)) return;
    const l = up();
    for (const h of Object.values(l.hosts)) {
      for (const dst of ['8.8.8.8', '2001:4860:4860::8888']) {
        const r = await l.exec(h, ['ip', 'route', 'get', dst]);
        assert.notEqual(r.code, 0, `${h.name} has a route to ${dst}: ${r.stdout}`);
        assert.match(r.stderr, /unreachable/i);
      }
      const links = await l.exec(h, ['ip', '-o', 'link'], { check: true });
      assert.equal(links.stdout.trim().split('\n').length, 2, links.stdout); // lo + the veth end
    }
    const br = spawnSync(IP_BIN, ['-n', l.bridgeNs, '-o', 'link'], { encoding: 'utf8' });
    const brLinks = br.stdout
      .trim()
      .split('\n')
      .map((x) => x.split(':')[1]?.trim().split('@')[0]);
    assert.deepEqual(brLinks.sort(), ['br0', 'lo', 'p-attacker', 'p-client', 'p-server']);
    assert.deepEqual(rootLinks(), linksBefore);
  });

  test('spawn captures lines; waits and execs are bounded', T, async (t) => {
    if (!labAvailable(t)) return;
    const l = up();
    const p = l.spawn('client', [process.execPath, '-e', 'console.log("ready 1"); console.error("warn 2")']);
    assert.equal(await p.waitForLine(/^ready \d/, 2000), 'ready 1');
    assert.equal(await p.waitForLine(/^warn/, 2000, 'stderr'), 'warn 2');
    await assert.rejects(p.waitForLine(/never/, 2000), { code: 'process-exited' });
    const q = l.spawn('client', ['sleep', '30']);
    await assert.rejects(q.waitForLine(/never/, 100), { code: 'timeout' });
    const r = await l.exec('client', ['sleep', '5'], { timeoutMs: 200 });
    assert.ok(r.timedOut && r.ms < 2000, JSON.stringify(r));
    await q.kill();
  });
});

test('two labs at once do not collide', T, async (t) => {
  if (!labAvailable(t)) return;
  const [a, b] = await Promise.all([startLab(), startLab({ extraHosts: ['client2'] })]);
  try {
    assert.notEqual(a.runId, b.runId);
    assert.equal(a.namespaces.filter((ns) => b.namespaces.includes(ns)).length, 0);
    await startServices(a, [7001]);
    const ca = await a.agent('client');
    const cb = await b.agent('client2');
    assert.equal(b.hosts.client2?.ipv4, '192.0.2.4');
    const inA = await ca.connect('192.0.2.1', 7001, 1000, { banner: true });
    assert.ok(inA.ok, JSON.stringify(inA));
    const inB = await cb.connect('192.0.2.1', 7001, 1000); // same address, other lab: nothing there
    assert.equal(inB.ok ? 'ok' : inB.error, 'ECONNREFUSED');
  } finally {
    await Promise.all([a.teardown(), b.teardown()]);
  }
});

test('teardown kills processes, deletes every namespace, and is idempotent', T, async (t) => {
  if (!labAvailable(t)) return;
  const lab = await startLab();
  const sleeper = lab.spawn('server', ['sleep', '30']);
  const agent = await lab.agent('client');
  const pids = [sleeper.pid, agent.pid].filter((p): p is number => p !== undefined);
  assert.equal(pids.length, 2);
  const t0 = performance.now();
  await Promise.all([lab.teardown(), lab.teardown()]);
  await lab.teardown();
  t.diagnostic(`teardown ${(performance.now() - t0).toFixed(0)} ms`);
  const left = listNamespaces().filter((ns) => ns.startsWith(`spal-${lab.runId}-`));
  assert.deepEqual(left, []);
  assert.ok(await eventually(() => pids.every(gone), 2000), 'a process survived teardown');
  assert.throws(() => lab.spawn('client', ['true']), { code: 'torn-down' });
});

test('a leftover of a dead owner is removed by the next startLab; a live owner’s is kept', T, async (t) => {
  if (!labAvailable(t)) return;
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  assert.ok(dead && gone(dead));
  const deadNs = nsName(dead.toString(36) + 'zz', 'server');
  const liveNs = nsName(process.ppid.toString(36) + 'zz', 'server');
  // Named as runs owned by those pids would name them.
  for (const runId of [dead.toString(36) + 'zz', process.ppid.toString(36) + 'zz'])
    createNamespacesSync(['server'], { runId, cleanLeftovers: false });
  const inside = spawn(IP_BIN, ['netns', 'exec', deadNs, 'sleep', '30'], { stdio: 'ignore' });
  const insideExit = new Promise((r) => inside.on('exit', (_code, signal) => r(signal)));
  let lab: Lab | undefined;
  try {
    assert.ok(await eventually(() => spawnSync(IP_BIN, ['netns', 'pids', deadNs]).stdout.length > 0, 2000));
    lab = await startLab();
    assert.ok(!listNamespaces().includes(deadNs), 'dead owner’s namespace was kept');
    assert.ok(listNamespaces().includes(liveNs), 'live owner’s namespace was removed');
    assert.equal(await insideExit, 'SIGKILL');
  } finally {
    inside.kill('SIGKILL');
    spawnSync(IP_BIN, ['-force', '-batch', '-'], { input: `netns del ${deadNs}\nnetns del ${liveNs}\n` });
    await lab?.teardown();
  }
});

/** A child process builds a lab, starts `sleep`, prints its state, then ends as `how` says. */
function childLab(how: 'exit' | 'throw' | 'SIGTERM' | 'SIGINT') {
  const script = `
    import { startLab } from ${JSON.stringify(LAB_INDEX)};
    const lab = await startLab({ cleanLeftovers: false });
    const p = lab.spawn('server', ['sleep', '30']);
    // Wait (bounded) until ip netns exec has become sleep: the cleanup must meet the real process.
    const { readFileSync } = await import('node:fs');
    const execd = () => { try { return readFileSync('/proc/' + p.pid + '/cmdline', 'utf8').startsWith('sleep'); } catch { return false; } };
    for (const until = Date.now() + 5000; !execd() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
    console.log(JSON.stringify({ namespaces: lab.namespaces, pid: p.pid }));
    if (${JSON.stringify(how)} === 'exit') process.exit(3);
    if (${JSON.stringify(how)} === 'throw') throw new Error('boom');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (how.startsWith('SIG') && out.includes('\n')) child.kill(how as NodeJS.Signals);
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise<{
    state: { namespaces: string[]; pid: number };
    code: number | null;
    signal: string | null;
  }>((resolve, reject) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      try {
        resolve({ state: JSON.parse(out.split('\n')[0] ?? ''), code, signal });
      } catch {
        reject(new Error(`child (${how}) printed no state: ${out} ${err}`));
      }
    }),
  );
}

test('a lab is torn down when its process exits, throws, or gets SIGTERM/SIGINT', T, async (t) => {
  if (!labAvailable(t)) return;
  const [exit, thrown, term, int] = await Promise.all(
    (['exit', 'throw', 'SIGTERM', 'SIGINT'] as const).map((how) => childLab(how)),
  );
  assert.equal(exit?.code, 3);
  assert.equal(thrown?.code, 1);
  assert.equal(term?.signal, 'SIGTERM'); // the default action is restored and the signal re-raised
  assert.equal(int?.signal, 'SIGINT');
  for (const r of [exit, thrown, term, int]) {
    assert.ok(r);
    assert.equal(r.state.namespaces.length, 4);
    for (const ns of r.state.namespaces) assert.ok(!listNamespaces().includes(ns), `${ns} survived`);
    assert.ok(await eventually(() => gone(r.state.pid), 2000), `sleep ${r.state.pid} survived`);
  }
});
