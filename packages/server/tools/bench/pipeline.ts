#!/usr/bin/env node
/**
 * Micro-benchmark of the server's CPU per packet on the knock port (goal: ≤ 5 µs for a
 * forged packet at the current port). Fake source and firewall, fixed clock; no root.
 *
 *   node packages/server/dist/tools/bench/pipeline.js [--packets 200000] [--json]
 *
 * Cases:
 *   verify        KnockVerifier.verify on a forged 336-byte packet (lookup miss)
 *   pipeline      KnockPipeline.handle on a captured forged packet: routing, roll check,
 *                 verify, counting, (budgeted, here disabled) debug log
 *   frame         parseFrame of the Ethernet/IPv4/UDP frame (with the payload copy) + pipeline
 *   mac-fail      an accepted knock with its last byte flipped: lookup hit, one MAC (what a
 *                 captured knock, altered, costs; an outsider cannot hit the lookup otherwise)
 *   replay        a captured replay of an accepted knock: lookup hit, MAC, decrypt, replay check
 *   sequence-miss a TCP SYN into the sequence range that starts nothing
 *   fwknop-forged a packet of fwknop's shape with a wrong HMAC, on the fwknop port, with 10
 *                 [fwknop_clients]: one HMAC per client (fwknop packets carry no client id)
 *   fwknop-replay a captured replay of an accepted fwknop packet: HMAC, decrypt, replay check
 *   signed-ed25519  a fresh two-factor knock signed by the client's ssh-ed25519 key: lookup,
 *                 MAC, decrypt, replay check, Ed25519 verify, record (no sync), policy, grant
 *   signed-ecdsa  the same with ecdsa-sha2-nistp256
 *   signed-forged a fresh, authentic knock (stolen profile) signed by another ed25519 key:
 *                 everything up to the signature, which fails (`signature`); nothing recorded
 *   signed-shed   the same once the client's signature budget is spent (`signature-budget`)
 *   signed-replay a replay of an accepted signed knock: refused before the signature (`replay`)
 *   record-sync   ReplayStore.record with a synchronous fdatasync (sync: 'data'), what a
 *                 grant would wait for if the store did not defer the sync
 *   record-nosync ReplayStore.record with write(2) only (sync: 'none'); the default,
 *                 sync: 'deferred', does this write and queues the fdatasync on the thread pool
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { type CapturedPacket, parseFrame } from '../../src/capture/frame.js';
import { KnockPipeline } from '../../src/pipeline/pipeline.js';
import { ReplayStore } from '../../src/replay/replay-store.js';
import { UNLIMITED_FWKNOP_BUDGET } from '../../src/verify/fwknop-gate.js';
import { KnockVerifier } from '../../src/verify/knock-verifier.js';
import { FakeFirewall } from '../../test/support/fake-firewall.js';
import { Fixture } from '../../test/support/fixture.js';
import { testSshKey } from '../../test/support/ssh-keys.js';
import { synFrame, udpFrame } from '../fuzz/frames.js';
import { Prng } from '../fuzz/prng.js';

export interface BenchResult {
  readonly name: string;
  /** Wall time per packet. */
  readonly nsPerPacket: number;
  /** CPU time (user + system) of this process per packet: steadier than wall time on a shared machine. */
  readonly cpuNsPerPacket: number;
}

const POOL = 4096;

function time(name: string, n: number, body: (i: number) => void): BenchResult {
  for (let i = 0; i < Math.min(n, 20_000); i++) body(i); // warm up
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body(i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  const cpu = process.cpuUsage(c0);
  return {
    name,
    nsPerPacket: Math.round(ns),
    cpuNsPerPacket: Math.round(((cpu.user + cpu.system) * 1000) / n),
  };
}

export function benchPipeline(packets: number): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'spa-bench-'));
  try {
    const now = 1_700_000_010_000;
    const f = new Fixture({
      stateDir: dir,
      fwknopClients: Array.from({ length: 10 }, (_, i) => ({ name: `fw${i}`, services: ['ssh'] })),
    });
    const rng = new Prng('bench');
    const store = ReplayStore.open(dir, f.config.window, now, { sync: 'none' });
    const pipeline = new KnockPipeline({
      config: f.config,
      store,
      firewall: new FakeFirewall({ now: () => now }),
      logger: pino({ level: 'warn' }),
      nowMs: now,
      // The HMAC loop's own cost is measured, not the budget in front of it (which sheds).
      fwknopBudget: UNLIMITED_FWKNOP_BUDGET,
    });
    const port = f.knockPortAt(now);
    const forged: Uint8Array[] = [];
    for (let i = 0; i < POOL; i++) forged.push(rng.bytes(336));
    const captured: CapturedPacket[] = forged.map((p) => f.udp(p, now, { dstPort: port }));
    const frames = forged.map((p) =>
      udpFrame({ src: '198.51.100.7', dst: '192.0.2.1', srcPort: 40000, dstPort: port }, p),
    );
    const verifier = new KnockVerifier({
      headerKey: new Uint8Array(32).fill(1),
      serverId: f.config.serverId,
      stepSeconds: 30,
      window: f.config.window,
      clients: f.config.clients.values(),
    });
    verifier.roll(Math.floor(now / 30_000));
    const accepted = f.udp(f.knock('alice', now), now);
    pipeline.handle(accepted, now);
    const altered = { ...accepted, payload: Uint8Array.from(accepted.payload) };
    altered.payload[335] = altered.payload[335]! ^ 1;
    const syn = parseFrame(
      'ETHERNET',
      synFrame({ src: '198.51.100.7', dst: '192.0.2.1', srcPort: 40001, dstPort: 50000 }),
    );
    if (!syn.ok) throw new Error('bench: bad SYN frame');
    const fwknopAccepted = f.udp(f.fwknopPacket('fw9', now), now, { dstPort: f.config.fwknop.port });
    pipeline.handle(fwknopAccepted, now);
    const fwknopForged = { ...fwknopAccepted, payload: Uint8Array.from(fwknopAccepted.payload) };
    const last = fwknopForged.payload.length - 1;
    fwknopForged.payload[last] = fwknopForged.payload[last] === 0x41 ? 0x42 : 0x41;
    const mask = POOL - 1;
    const results = [
      time('verify', packets, (i) => verifier.verify(forged[i & mask]!, now)),
      time('pipeline', packets, (i) => pipeline.handle(captured[i & mask]!, now)),
      time('frame', packets, (i) => {
        const r = parseFrame('ETHERNET', frames[i & mask]!);
        if (r.ok) pipeline.handle(r.packet, now);
      }),
      time('mac-fail', Math.max(1, packets >> 3), () => pipeline.handle(altered, now)),
      time('replay', Math.max(1, packets >> 3), () => pipeline.handle(accepted, now)),
      time('sequence-miss', packets, () => pipeline.handle(syn.packet, now)),
      time('fwknop-forged', Math.max(1, packets >> 3), () => pipeline.handle(fwknopForged, now)),
      time('fwknop-replay', Math.max(1, packets >> 3), () => pipeline.handle(fwknopAccepted, now)),
    ];
    if (pipeline.counters.get('grant') !== 2) throw new Error('bench: the control knocks did not grant');
    store.close();
    results.push(...benchSigned(dir, now, Math.max(50, Math.min(2000, packets >> 6))));
    for (const sync of ['data', 'none'] as const) {
      const s = ReplayStore.open(join(dir, sync), f.config.window, now, { sync });
      let n = 0;
      results.push(
        time(sync === 'data' ? 'record-sync' : 'record-nosync', 2000, () => {
          s.record((n++).toString(16).padStart(32, '0'), now);
        }),
      );
      s.close();
    }
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Two-factor knocks: each case times `n` fresh knocks made beforehand (signing is the client's cost). */
function benchSigned(dir: string, now: number, n: number): BenchResult[] {
  const ed = testSshKey('ssh-ed25519');
  const ec = testSshKey('ecdsa-sha2-nistp256');
  const thief = testSshKey('ssh-ed25519');
  const f = new Fixture({
    stateDir: join(dir, 'signed'),
    clients: [
      { name: 'ed', services: ['ssh'], sshKey: ed.key },
      { name: 'ec', services: ['ssh'], sshKey: ec.key },
      { name: 'stolen', services: ['ssh'], sshKey: ed.key },
      { name: 'shed', services: ['ssh'], sshKey: ed.key },
    ],
  });
  const store = ReplayStore.open(join(dir, 'signed'), f.config.window, now, { sync: 'none' });
  const unbounded = { burst: 1e9, ratePerSecond: 1e9 };
  const pipeline = new KnockPipeline({
    config: f.config,
    store,
    firewall: new FakeFirewall({ now: () => now }),
    logger: pino({ level: 'warn' }),
    nowMs: now,
    signatureBudget: unbounded,
  });
  const shedPipeline = new KnockPipeline({
    config: f.config,
    store,
    firewall: new FakeFirewall({ now: () => now }),
    logger: pino({ level: 'warn' }),
    nowMs: now,
    signatureBudget: { burst: 1, ratePerSecond: 0 },
  });
  const fresh = (client: string, sign: (m: Uint8Array) => ReturnType<typeof ed.sign>) =>
    Array.from({ length: n }, () => f.udp(f.knock(client, now, { sign }), now));
  const once = (name: string, packets: CapturedPacket[], p: KnockPipeline) =>
    time(name, packets.length, (i) => p.handle(packets[i]!, now));
  // time() runs a warm-up pass first: give each case its own second set for the timed pass.
  const twice = (name: string, make: () => CapturedPacket[], p: KnockPipeline) => {
    const warm = make();
    const timed = make();
    let pass = 0;
    return time(name, n, (i) => p.handle((pass++ < n ? warm : timed)[i]!, now));
  };
  const results = [
    twice('signed-ed25519', () => fresh('ed', ed.sign), pipeline),
    twice('signed-ecdsa', () => fresh('ec', ec.sign), pipeline),
    twice('signed-forged', () => fresh('stolen', thief.sign), pipeline),
    twice('signed-shed', () => fresh('shed', thief.sign), shedPipeline),
  ];
  const accepted = f.udp(f.knock('ed', now, { sign: ed.sign }), now);
  pipeline.handle(accepted, now);
  results.push(
    once(
      'signed-replay',
      Array.from({ length: n }, () => accepted),
      pipeline,
    ),
  );
  const c = pipeline.counters;
  if (c.get('grant') !== 4 * n + 1 || c.get('signature') !== 2 * n || c.get('replay') < 2 * n)
    throw new Error(`bench: unexpected signed outcomes ${JSON.stringify(c.snapshot())}`);
  if (shedPipeline.counters.get('signature-budget') < 2 * n - 1)
    throw new Error(`bench: the shed case was not shed ${JSON.stringify(shedPipeline.counters.snapshot())}`);
  store.close();
  return results;
}

function main(argv: readonly string[]): void {
  const { values } = parseArgs({
    args: [...argv],
    options: { packets: { type: 'string', default: '200000' }, json: { type: 'boolean', default: false } },
  });
  const results = benchPipeline(Number(values.packets));
  if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  else
    for (const r of results)
      process.stdout.write(
        `${r.name.padEnd(14)} ${(r.nsPerPacket / 1000).toFixed(2).padStart(9)} µs/packet wall, ${(r.cpuNsPerPacket / 1000).toFixed(2).padStart(9)} µs CPU\n`,
      );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
