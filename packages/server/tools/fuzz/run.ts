/**
 * The fuzz loop: frames through the frame parser (`parseFrame`) and the whole knock pipeline
 * (fake firewall, fake clock, a replay store in a temporary directory), looking for
 * exceptions and for grants that should not happen.
 *
 * Frame kinds, picked at random each round:
 * - random bytes, under a random link type;
 * - well-formed Ethernet/IPv4|IPv6/UDP frames with random payloads to a watched knock port;
 * - a control: a fresh, valid knock, unmutated. It must grant exactly once (else the fuzzer
 *   would be testing a pipeline that grants nothing) and is not counted as a finding;
 * - mutations of an accepted control frame (bit flips, byte sets, truncation, extension,
 *   header fields, splices): whatever survives parsing is at best a replay;
 * - payload-only mutations of a fresh knock that was never sent: the crypto must refuse it;
 * - TCP SYNs and UDP datagrams into the sequence range from random sources;
 * - fwknop packets to the fwknop port: fresh controls (which must grant once, like the native
 *   ones), mutations of accepted ones, payload mutations of fresh ones never sent, and random
 *   base64 text.
 *
 * Any grant outside the controls, and any exception (or `internal-error` count), is a
 * finding. The clock moves 0-3 ms per frame, so steps roll during a long run.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '@spa/shared';
import { pino } from 'pino';
import { type LinkType, parseFrame } from '../../src/capture/frame.js';
import { KnockPipeline } from '../../src/pipeline/pipeline.js';
import { ReplayStore } from '../../src/replay/replay-store.js';
import { UNLIMITED_FWKNOP_BUDGET } from '../../src/verify/fwknop-gate.js';
import { FakeFirewall } from '../../test/support/fake-firewall.js';
import { Fixture } from '../../test/support/fixture.js';
import { type FrameSpec, synFrame, udpFrame, udpPayloadOffset } from './frames.js';
import { MUTATIONS, type Mutation, mutate } from './mutate.js';
import { Prng } from './prng.js';

export interface FuzzOptions {
  readonly frames: number;
  readonly seed?: string;
  /** Start of the fake clock (ms since the epoch). */
  readonly startMs?: number;
}

export interface FuzzFinding {
  readonly kind: 'crash' | 'grant';
  readonly frame: number;
  readonly source: string;
  readonly detail: string;
  readonly hex: string;
}

export interface FuzzReport {
  readonly seed: string;
  readonly frames: number;
  readonly controls: number;
  readonly controlsGranted: number;
  readonly crashes: number;
  readonly grants: number;
  readonly findings: readonly FuzzFinding[];
  readonly bySource: Readonly<Record<string, number>>;
  readonly counters: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
}

const LINKS: readonly LinkType[] = ['ETHERNET', 'LINKTYPE_LINUX_SLL', 'RAW', 'NULL'];
const MAX_FINDINGS = 20;
const SOURCES_V4 = ['198.51.100.7', '203.0.113.9', '192.0.2.200', '10.1.2.3'];
const SOURCES_V6 = ['2001:db8::7', '2001:db8:ffff::1', 'fe80::1'];

export function runFuzz(o: FuzzOptions): FuzzReport {
  const seed = o.seed ?? 'spa';
  const rng = new Prng(seed);
  const dir = mkdtempSync(join(tmpdir(), 'spa-fuzz-'));
  try {
    return fuzzIn(dir, seed, rng, o);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fuzzIn(dir: string, seed: string, rng: Prng, o: FuzzOptions): FuzzReport {
  const fixture = new Fixture({
    stateDir: dir,
    seed: `fuzz ${seed}`,
    fwknopClients: [{ name: 'fw', services: ['ssh'] }],
  });
  const fwknopPort = fixture.config.fwknop.port;
  const clients = [...fixture.config.clients.keys()];
  let now = o.startMs ?? 1_700_000_000_000;
  const firewall = new FakeFirewall({ now: () => now });
  const store = ReplayStore.open(dir, fixture.config.window, now, { sync: 'none' });
  const pipeline = new KnockPipeline({
    config: fixture.config,
    store,
    firewall,
    logger: pino({ level: 'silent' }),
    nowMs: now,
    // Frames arrive far faster than the fuzz clock moves: no fwknop budget, so every mutated
    // fwknop packet reaches the HMAC and the parsers (the budgets have their own tests).
    fwknopBudget: UNLIMITED_FWKNOP_BUDGET,
  });
  /** Grant calls since call number `from` (calls are recorded synchronously). */
  const grantsSince = (from: number) => {
    let n = 0;
    for (let j = from; j < firewall.calls.length; j++) if (firewall.calls[j]!.method === 'grant') n++;
    return n;
  };
  const findings: FuzzFinding[] = [];
  const bySource: Record<string, number> = {};
  let controls = 0;
  let controlsGranted = 0;
  let crashes = 0;
  let grants = 0;
  let accepted: Uint8Array[] = [];
  let fwknopAccepted: Uint8Array[] = [];
  const seqRange = fixture.config.sequence?.range ?? [50000, 59999];
  const started = performance.now();

  const spec = (dstPort: number): FrameSpec => ({
    src: rng.chance(0.3) ? rng.pick(SOURCES_V6) : rng.pick(SOURCES_V4),
    dst: '192.0.2.1',
    srcPort: 1024 + rng.int(60000),
    dstPort,
  });
  const watched = () => rng.pick(pipeline.watchedPorts);
  const freshKnock = () => fixture.knock(rng.pick(clients), now, { durationSeconds: rng.int(400) });

  for (let i = 0; i < o.frames; i++) {
    now += rng.int(4);
    let source: string;
    let link: LinkType = 'ETHERNET';
    let frame: Uint8Array;
    let control = false;
    const roll = rng.int(100);
    if (roll < 15) {
      source = 'random';
      link = rng.pick(LINKS);
      frame = rng.bytes(rng.int(rng.chance(0.5) ? 100 : 1600));
    } else if (roll < 30) {
      source = 'random-payload';
      frame = udpFrame(spec(watched()), rng.bytes(rng.chance(0.7) ? 336 : rng.int(700)));
    } else if (roll < 33 || accepted.length === 0) {
      source = 'control';
      control = true;
      frame = udpFrame(spec(fixture.knockPortAt(now)), freshKnock());
    } else if (roll < 75) {
      const kind: Mutation = rng.pick(MUTATIONS);
      source = `mutated:${kind}`;
      const base = rng.pick(accepted);
      frame = mutate(base, udpPayloadOffset(base), kind, rng);
    } else if (roll < 85) {
      source = 'fresh-payload-mutated';
      const base = udpFrame(spec(fixture.knockPortAt(now)), freshKnock());
      frame = mutate(base, udpPayloadOffset(base), 'payload', rng);
    } else if (roll >= 95) {
      const fw = rng.int(10);
      if (fw < 2 || fwknopAccepted.length === 0) {
        source = 'fwknop-control';
        control = true;
        frame = udpFrame(spec(fwknopPort), fixture.fwknopPacket('fw', now));
      } else if (fw < 6) {
        const kind: Mutation = rng.pick(MUTATIONS);
        source = `fwknop-mutated:${kind}`;
        const base = rng.pick(fwknopAccepted);
        frame = mutate(base, udpPayloadOffset(base), kind, rng);
      } else if (fw < 9) {
        source = 'fwknop-fresh-payload-mutated';
        const base = udpFrame(spec(fwknopPort), fixture.fwknopPacket('fw', now));
        frame = mutate(base, udpPayloadOffset(base), 'payload', rng);
      } else {
        source = 'fwknop-random-base64';
        const text = Buffer.from(rng.bytes(16 + rng.int(300)))
          .toString('base64')
          .replace(/=+$/, '');
        frame = udpFrame(spec(fwknopPort), new TextEncoder().encode(text));
      }
    } else {
      source = 'sequence-range';
      const port = seqRange[0] + rng.int(seqRange[1] - seqRange[0] + 1);
      frame = rng.chance(0.8) ? synFrame(spec(port)) : udpFrame(spec(port), rng.bytes(rng.int(40)));
    }
    bySource[source] = (bySource[source] ?? 0) + 1;

    const before = firewall.calls.length;
    const internalBefore = pipeline.counters.get('internal-error');
    try {
      const parsed = parseFrame(link, frame);
      if (parsed.ok) pipeline.handle(parsed.packet, now);
      else pipeline.captureReject(parsed.reason);
    } catch (err) {
      crashes++;
      if (findings.length < MAX_FINDINGS)
        findings.push({ kind: 'crash', frame: i, source, detail: String(err), hex: toHex(frame) });
      continue;
    }
    if (pipeline.counters.get('internal-error') !== internalBefore) {
      crashes++;
      if (findings.length < MAX_FINDINGS)
        findings.push({ kind: 'crash', frame: i, source, detail: 'internal-error', hex: toHex(frame) });
    }
    const added = grantsSince(before);
    if (control) {
      controls++;
      if (added === 1) {
        controlsGranted++;
        if (source === 'fwknop-control') {
          fwknopAccepted.push(frame);
          if (fwknopAccepted.length > 64) fwknopAccepted = fwknopAccepted.slice(-32);
        } else {
          accepted.push(frame);
          if (accepted.length > 64) accepted = accepted.slice(-32);
        }
      }
      // A knock-port collision between steps can leave a control on an old port: still granted.
    } else if (added > 0) {
      grants += added;
      if (findings.length < MAX_FINDINGS)
        findings.push({ kind: 'grant', frame: i, source, detail: `${added} grant(s)`, hex: toHex(frame) });
    }
  }
  store.close();
  return {
    seed,
    frames: o.frames,
    controls,
    controlsGranted,
    crashes,
    grants,
    findings,
    bySource,
    counters: pipeline.counters.snapshot(),
    elapsedMs: Math.round(performance.now() - started),
  };
}
