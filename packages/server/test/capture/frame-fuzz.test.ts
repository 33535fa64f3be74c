// Property and robustness tests of parseFrame: random and mutated bytes never throw, generated
// valid frames round-trip, IPv6 text matches the WHATWG URL serializer, and a cost check.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type CapturedPacket,
  FRAME_REJECTS,
  type FrameResult,
  type LinkType,
  parseFrame,
} from '../../src/capture/frame.js';
import { ETHERTYPE, ethernet, ipv4, ipv6, LINKS, PROTO, TCP_FLAGS, tcp, udp, wrap } from './_frames.js';

const REASONS: ReadonlySet<string> = new Set(FRAME_REJECTS);

function checkWellFormed(r: FrameResult, frame: Uint8Array): void {
  if (!r.ok) {
    assert.ok(REASONS.has(r.reason), `unknown reason ${r.reason}`);
    return;
  }
  const p: CapturedPacket = r.packet;
  assert.ok(p.family === 4 || p.family === 6);
  assert.ok(p.protocol === 'udp' || p.protocol === 'tcp');
  assert.ok(Number.isInteger(p.srcPort) && p.srcPort >= 0 && p.srcPort <= 65535);
  assert.ok(Number.isInteger(p.dstPort) && p.dstPort >= 0 && p.dstPort <= 65535);
  assert.ok(p.payload.length <= frame.length);
  if (p.protocol === 'tcp') assert.equal(p.payload.length, 0);
  assert.equal(typeof p.srcAddress, 'string');
  assert.equal(typeof p.dstAddress, 'string');
}

/** Deterministic xorshift32, so a failure is reproducible from the seed in the message. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const SEEDS: Array<{ link: LinkType; frame: Uint8Array }> = [];
for (const link of LINKS) {
  SEEDS.push({
    link,
    frame: wrap(link, 4, ipv4(udp(1, 62201, new Uint8Array(96)), { protocol: PROTO.UDP })),
  });
  SEEDS.push({ link, frame: wrap(link, 4, ipv4(tcp(1, 50001, TCP_FLAGS.SYN), { protocol: PROTO.TCP })) });
  SEEDS.push({
    link,
    frame: wrap(link, 6, ipv6(udp(1, 62201, new Uint8Array(96)), { nextHeader: PROTO.UDP })),
  });
  const chain = new Uint8Array([60, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
  SEEDS.push({
    link,
    frame: wrap(link, 6, ipv6(new Uint8Array([...chain, ...tcp(1, 2, 2)]), { nextHeader: 0 })),
  });
}
SEEDS.push({
  link: 'ETHERNET',
  frame: ethernet(ETHERTYPE.IPV4, ipv4(udp(1, 2, [1]), { protocol: 17 }), [0x88a8, 0x8100]),
});

test('20 000 random and mutated frames never throw and give well-formed results', () => {
  const seed = 0x5eed5;
  const next = rng(seed);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    let link: LinkType;
    let frame: Uint8Array;
    if (i % 4 === 0) {
      link = LINKS[next() % LINKS.length]!;
      frame = new Uint8Array(next() % 200);
      for (let j = 0; j < frame.length; j++) frame[j] = next() & 0xff;
    } else {
      const s = SEEDS[next() % SEEDS.length]!;
      link = s.link;
      frame = s.frame.slice(0, s.frame.length - (next() % 3 === 0 ? next() % s.frame.length : 0));
      const flips = 1 + (next() % 4);
      for (let f = 0; f < flips && frame.length > 0; f++) frame[next() % frame.length] = next() & 0xff;
    }
    let r: FrameResult;
    try {
      r = parseFrame(link, frame);
    } catch (err) {
      assert.fail(
        `seed ${seed} iteration ${i}: parseFrame threw ${String(err)} on ${Buffer.from(frame).toString('hex')}`,
      );
    }
    checkWellFormed(r, frame);
    if (r.ok) accepted++;
  }
  assert.ok(accepted > 1000, `mutations should still accept some frames, accepted ${accepted}`);
});

test('fast-check: arbitrary bytes on every link type never throw', () => {
  fc.assert(
    fc.property(fc.constantFrom(...LINKS), fc.uint8Array({ maxLength: 256 }), (link, frame) => {
      checkWellFormed(parseFrame(link, frame), frame);
    }),
    { numRuns: 3000 },
  );
});

test('fast-check: byte mutations of valid frames never throw', () => {
  const seedArb = fc.constantFrom(...SEEDS);
  const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 });
  fc.assert(
    fc.property(seedArb, edits, fc.nat(), (s, changes, cut) => {
      const frame = s.frame.slice(0, s.frame.length - (cut % 8));
      for (const [at, value] of changes) if (frame.length > 0) frame[at % frame.length] = value;
      checkWellFormed(parseFrame(s.link, frame), frame);
    }),
    { numRuns: 3000 },
  );
});

const ipv4Arb = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const ipv6Arb = fc.ipV6();

test('fast-check: generated valid frames round-trip every field', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...LINKS),
      fc.boolean(),
      fc.boolean(),
      ipv4Arb,
      ipv4Arb,
      ipv6Arb,
      ipv6Arb,
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.uint8Array({ maxLength: 300 }),
      (link, v6, isUdp, s4, d4, s6, d6, sport, dport, payload) => {
        const l4 = isUdp ? udp(sport, dport, payload) : tcp(sport, dport, TCP_FLAGS.SYN);
        const ip = v6
          ? ipv6(l4, { nextHeader: isUdp ? PROTO.UDP : PROTO.TCP, src: canonical6(s6), dst: canonical6(d6) })
          : ipv4(l4, { protocol: isUdp ? PROTO.UDP : PROTO.TCP, src: s4, dst: d4 });
        const r = parseFrame(link, wrap(link, v6 ? 6 : 4, ip));
        assert.ok(r.ok, r.ok ? '' : r.reason);
        assert.equal(r.packet.srcAddress, v6 ? canonical6(s6) : s4);
        assert.equal(r.packet.dstAddress, v6 ? canonical6(d6) : d4);
        assert.equal(r.packet.srcPort, sport);
        assert.equal(r.packet.dstPort, dport);
        assert.deepEqual(r.packet.payload, isUdp ? payload : new Uint8Array(0));
      },
    ),
    { numRuns: 1000 },
  );
});

/** Also turns fc.ipV6()'s embedded IPv4 into hex groups for the frame builder. WHATWG URL serializes IPv6 hosts per RFC 5952 (lowercase, first longest zero run ≥ 2). */
function canonical6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

test('parse cost of a typical SPA frame (Ethernet, IPv4/IPv6, 120-byte payload)', (t) => {
  const frames = [
    ethernet(ETHERTYPE.IPV4, ipv4(udp(40000, 62201, new Uint8Array(120)), { protocol: PROTO.UDP })),
    ethernet(ETHERTYPE.IPV6, ipv6(udp(40000, 62201, new Uint8Array(120)), { nextHeader: PROTO.UDP })),
  ];
  for (const [i, frame] of frames.entries()) {
    const n = 200_000;
    for (let k = 0; k < 20_000; k++) parseFrame('ETHERNET', frame); // warm up
    const start = process.hrtime.bigint();
    for (let k = 0; k < n; k++) parseFrame('ETHERNET', frame);
    const nsPer = Number(process.hrtime.bigint() - start) / n;
    t.diagnostic(`IPv${i === 0 ? 4 : 6}: ${nsPer.toFixed(0)} ns per frame`);
    // Loose bound (shared CI machines are noisy); the goal is a few µs for the whole pipeline.
    assert.ok(nsPer < 5000, `parseFrame took ${nsPer} ns per frame`);
  }
});
