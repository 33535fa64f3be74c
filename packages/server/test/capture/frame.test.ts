import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FRAME_REJECTS, type FrameReject, type LinkType, parseFrame } from '../../src/capture/frame.js';
import {
  ahHeader,
  bytes,
  ETHERTYPE,
  ethernet,
  extHeader,
  ipv4,
  ipv6,
  LINKS,
  nullLink,
  PROTO,
  sll,
  TCP_FLAGS,
  tcp,
  udp,
  wrap,
} from './_frames.js';

const PAYLOAD = [0x53, 0x50, 0x41, 0x21, 0, 1, 2, 0xff]; // "SPA!" + bytes

function ok(link: LinkType, frame: Uint8Array) {
  const r = parseFrame(link, frame);
  if (!r.ok) assert.fail(`expected ok, got reject ${r.reason}`);
  return r.packet;
}

function rejects(link: LinkType, frame: Uint8Array, reason: FrameReject): void {
  const r = parseFrame(link, frame);
  assert.deepEqual(r, { ok: false, reason });
}

const v4udp = (payload: number[] = PAYLOAD) => ipv4(udp(40000, 62201, payload), { protocol: PROTO.UDP });
const v4syn = (flags = TCP_FLAGS.SYN) => ipv4(tcp(40001, 50007, flags), { protocol: PROTO.TCP });
const v6udp = (payload: number[] = PAYLOAD) => ipv6(udp(40000, 62201, payload), { nextHeader: PROTO.UDP });
const v6syn = (flags = TCP_FLAGS.SYN) => ipv6(tcp(40001, 50007, flags), { nextHeader: PROTO.TCP });

const VALID: Array<{ name: string; family: 4 | 6; protocol: 'udp' | 'tcp'; ip: () => Uint8Array }> = [
  { name: 'IPv4 UDP', family: 4, protocol: 'udp', ip: () => v4udp() },
  { name: 'IPv4 TCP SYN', family: 4, protocol: 'tcp', ip: () => v4syn() },
  { name: 'IPv6 UDP', family: 6, protocol: 'udp', ip: () => v6udp() },
  { name: 'IPv6 TCP SYN', family: 6, protocol: 'tcp', ip: () => v6syn() },
];

describe('parseFrame: valid frames, every link type × family × protocol', () => {
  for (const link of LINKS) {
    for (const v of VALID) {
      test(`${link} ${v.name}`, () => {
        const p = ok(link, wrap(link, v.family, v.ip()));
        assert.equal(p.family, v.family);
        assert.equal(p.protocol, v.protocol);
        assert.equal(p.srcAddress, v.family === 4 ? '192.0.2.10' : '2001:db8::2');
        assert.equal(p.dstAddress, v.family === 4 ? '198.51.100.1' : '2001:db8::1');
        if (v.protocol === 'udp') {
          assert.equal(p.srcPort, 40000);
          assert.equal(p.dstPort, 62201);
          assert.deepEqual([...p.payload], PAYLOAD);
        } else {
          assert.equal(p.srcPort, 40001);
          assert.equal(p.dstPort, 50007);
          assert.equal(p.payload.length, 0);
        }
      });

      test(`${link} ${v.name}: every truncation is 'truncated'`, () => {
        const frame = wrap(link, v.family, v.ip());
        for (let n = 0; n < frame.length; n++) rejects(link, frame.subarray(0, n), 'truncated');
      });
    }
  }
});

describe('parseFrame: link layers', () => {
  test('Ethernet padding after a short IP packet is not payload', () => {
    const frame = bytes(ethernet(ETHERTYPE.IPV4, v4udp([7])), new Uint8Array(20).fill(0xee));
    assert.deepEqual([...ok('ETHERNET', frame).payload], [7]);
    const frame6 = bytes(ethernet(ETHERTYPE.IPV6, v6udp([7])), new Uint8Array(9).fill(0xee));
    assert.deepEqual([...ok('ETHERNET', frame6).payload], [7]);
  });

  test('one 802.1Q tag, 802.1ad + 802.1Q, and QinQ over IPv6 are accepted', () => {
    assert.equal(ok('ETHERNET', ethernet(ETHERTYPE.IPV4, v4udp(), [ETHERTYPE.VLAN])).dstPort, 62201);
    const two = ethernet(ETHERTYPE.IPV4, v4syn(), [ETHERTYPE.QINQ, ETHERTYPE.VLAN]);
    assert.equal(ok('ETHERNET', two).dstPort, 50007);
    const six = ethernet(ETHERTYPE.IPV6, v6udp(), [ETHERTYPE.QINQ, ETHERTYPE.VLAN]);
    assert.equal(ok('ETHERNET', six).family, 6);
    const old = ethernet(ETHERTYPE.IPV4, v4udp(), [0x9100, ETHERTYPE.VLAN]);
    assert.equal(ok('ETHERNET', old).family, 4);
  });

  test('three VLAN tags → ethertype; truncated tags → truncated', () => {
    const three = ethernet(ETHERTYPE.IPV4, v4udp(), [ETHERTYPE.QINQ, ETHERTYPE.VLAN, ETHERTYPE.VLAN]);
    rejects('ETHERNET', three, 'ethertype');
    const two = ethernet(ETHERTYPE.IPV4, v4udp(), [ETHERTYPE.QINQ, ETHERTYPE.VLAN]);
    for (let n = 0; n < two.length; n++) rejects('ETHERNET', two.subarray(0, n), 'truncated');
  });

  test('non-IP EtherTypes → ethertype (Ethernet and SLL)', () => {
    rejects('ETHERNET', ethernet(ETHERTYPE.ARP, new Uint8Array(28)), 'ethertype');
    rejects('ETHERNET', ethernet(0x88cc, v4udp()), 'ethertype'); // LLDP
    rejects('ETHERNET', ethernet(0x0600, v4udp()), 'ethertype'); // 802.3 length field
    rejects('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.ARP, new Uint8Array(28)), 'ethertype');
    rejects('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.VLAN, v4udp()), 'ethertype');
  });

  test('EtherType and IP version disagree → ip-version', () => {
    rejects('ETHERNET', ethernet(ETHERTYPE.IPV4, v6udp()), 'ip-version');
    rejects('ETHERNET', ethernet(ETHERTYPE.IPV6, v4udp()), 'ip-version');
    rejects('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.IPV6, v4syn()), 'ip-version');
    rejects('NULL', nullLink(2, v6udp()), 'ip-version');
    rejects('NULL', nullLink(10, v4udp()), 'ip-version');
  });

  test('RAW: version nibble other than 4 or 6 → ip-version', () => {
    for (const version of [0, 1, 5, 7, 15]) {
      const ip = v4udp();
      ip[0] = (version << 4) | 5;
      rejects('RAW', ip, 'ip-version');
    }
  });

  test('SLL: outgoing packets (type 4) → link; host/broadcast/multicast/otherhost accepted', () => {
    rejects('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.IPV4, v4udp(), 4), 'link');
    rejects('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.IPV6, v6udp(), 4), 'link');
    rejects('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.ARP, new Uint8Array(28), 4), 'link');
    for (const t of [0, 1, 2, 3])
      assert.equal(ok('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.IPV4, v4udp(), t)).family, 4);
  });

  test('SLL: an outgoing TCP SYN+ACK is accepted (trial confirmation); every other outgoing TCP → link', () => {
    const { SYN, ACK, RST, FIN } = TCP_FLAGS;
    for (const [family, ethertype, ip] of [
      [4, ETHERTYPE.IPV4, v4syn(SYN | ACK)],
      [6, ETHERTYPE.IPV6, v6syn(SYN | ACK)],
    ] as const) {
      const p = ok('LINKTYPE_LINUX_SLL', sll(ethertype, ip, 4));
      assert.equal(p.family, family);
      assert.equal(p.synAck, true);
      assert.equal(p.srcPort, 40001);
      assert.equal(p.dstPort, 50007);
      assert.equal(p.dstAddress, family === 4 ? '198.51.100.1' : '2001:db8::1');
    }
    for (const flags of [SYN, ACK, 0, RST, SYN | ACK | RST, SYN | ACK | FIN]) {
      rejects('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.IPV4, v4syn(flags), 4), 'link');
      rejects('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.IPV6, v6syn(flags), 4), 'link');
    }
    // An incoming SYN+ACK is parsed too; the capture filter admits only outgoing ones.
    assert.equal(ok('LINKTYPE_LINUX_SLL', sll(ETHERTYPE.IPV4, v4syn(SYN | ACK), 0)).synAck, true);
  });

  test('NULL: AF in either byte order; BSD AF_INET6 values; unknown AF → link', () => {
    assert.equal(ok('NULL', nullLink(2, v4udp(), false)).family, 4);
    for (const af of [10, 24, 28, 30]) {
      assert.equal(ok('NULL', nullLink(af, v6syn(), true)).family, 6);
      assert.equal(ok('NULL', nullLink(af, v6syn(), false)).family, 6);
    }
    rejects('NULL', nullLink(99, v4udp()), 'link');
    rejects('NULL', nullLink(0, v4udp()), 'link');
    rejects('NULL', bytes([2, 1, 0, 0], v4udp()), 'link');
    rejects('NULL', bytes([2, 0, 0, 2], v4udp()), 'link');
  });

  test('unknown link type string → link', () => {
    rejects('IEEE802_11_RADIO' as LinkType, ethernet(ETHERTYPE.IPV4, v4udp()), 'link');
    rejects('Unknown linktype 147' as LinkType, v4udp(), 'link');
  });
});

describe('parseFrame: IPv4', () => {
  test('IHL < 5 → ip-header', () => {
    for (const ihl of [0, 1, 4])
      rejects('RAW', ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, ihl }), 'ip-header');
  });

  test('total length < header length → ip-header; > captured → truncated', () => {
    rejects('RAW', ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, totalLength: 19 }), 'ip-header');
    rejects('RAW', ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, totalLength: 0 }), 'ip-header');
    const opts = { protocol: PROTO.UDP, optionBytes: [1, 1, 1, 0], totalLength: 22 };
    rejects('RAW', ipv4(udp(1, 2, PAYLOAD), opts), 'ip-header');
    const big = ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, totalLength: 20 + 8 + PAYLOAD.length + 1 });
    rejects('RAW', big, 'truncated');
    rejects('RAW', ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, totalLength: 65535 }), 'truncated');
  });

  test('IHL beyond the total length → ip-header; options are skipped', () => {
    const ip = ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, ihl: 15 });
    rejects('RAW', ip, 'ip-header'); // total length 36 < 60
    const withOpts = ipv4(udp(1234, 62201, PAYLOAD), {
      protocol: PROTO.UDP,
      optionBytes: [0x94, 4, 0, 0, 1, 1, 1, 0],
    });
    const p = ok('RAW', withOpts);
    assert.equal(p.srcPort, 1234);
    assert.equal(p.dstPort, 62201);
    assert.deepEqual([...p.payload], PAYLOAD);
  });

  test('fragments: MF set, non-zero offset, both → fragment; DF alone accepted', () => {
    for (const flagsFragment of [0x2000, 0x0001, 0x00b9, 0x1fff, 0x2001, 0x6000, 0x4001]) {
      rejects('RAW', ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, flagsFragment }), 'fragment');
    }
    assert.equal(ok('RAW', ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, flagsFragment: 0 })).dstPort, 2);
    // The reserved (evil) bit alone is not a fragment.
    assert.equal(
      ok('RAW', ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, flagsFragment: 0x8000 })).dstPort,
      2,
    );
  });

  test('protocols other than UDP/TCP → ip-protocol', () => {
    for (const protocol of [PROTO.ICMP, 0, 41, 47, 50, 51, 132, 255]) {
      rejects('RAW', ipv4(new Uint8Array(20), { protocol }), 'ip-protocol');
    }
  });

  test('addresses are dotted quads', () => {
    const p = ok('RAW', ipv4(udp(1, 2, []), { protocol: PROTO.UDP, src: '0.0.0.0', dst: '255.255.255.255' }));
    assert.equal(p.srcAddress, '0.0.0.0');
    assert.equal(p.dstAddress, '255.255.255.255');
  });
});

describe('parseFrame: UDP', () => {
  test('length field < 8 → udp-length', () => {
    for (const length of [0, 1, 7])
      rejects('RAW', ipv4(udp(1, 2, PAYLOAD, length), { protocol: PROTO.UDP }), 'udp-length');
  });

  test('length field beyond the IP payload → udp-length', () => {
    const ip = ipv4(udp(1, 2, PAYLOAD, 8 + PAYLOAD.length + 1), { protocol: PROTO.UDP });
    rejects('RAW', ip, 'udp-length');
    rejects('RAW', ipv6(udp(1, 2, PAYLOAD, 0xffff), { nextHeader: PROTO.UDP }), 'udp-length');
    // IP total length cuts the datagram even though more bytes were captured.
    const cut = ipv4(udp(1, 2, PAYLOAD), { protocol: PROTO.UDP, totalLength: 20 + 8 + 2 });
    rejects('RAW', cut, 'udp-length');
  });

  test('IP payload too short for a UDP header → udp-length', () => {
    rejects('RAW', ipv4(new Uint8Array(7), { protocol: PROTO.UDP }), 'udp-length');
    rejects('RAW', ipv6(new Uint8Array(0), { nextHeader: PROTO.UDP }), 'udp-length');
  });

  test('length field shorter than the IP payload: payload is exactly length - 8 bytes', () => {
    const ip = ipv4(udp(1, 2, PAYLOAD, 8 + 3), { protocol: PROTO.UDP });
    assert.deepEqual([...ok('RAW', ip).payload], PAYLOAD.slice(0, 3));
    assert.equal(ok('RAW', ipv4(udp(1, 2, PAYLOAD, 8), { protocol: PROTO.UDP })).payload.length, 0);
  });

  test('payload is a fresh copy that owns its memory', () => {
    const frame = Buffer.from(ethernet(ETHERTYPE.IPV4, v4udp()));
    const p = ok('ETHERNET', frame);
    assert.notEqual(p.payload.buffer, frame.buffer);
    frame.fill(0xaa);
    assert.deepEqual([...p.payload], PAYLOAD);
    assert.ok(!Buffer.isBuffer(p.payload), 'a plain Uint8Array, not a Buffer view');
  });

  test('payloads never share bytes with each other, small or large', () => {
    const payloads = [];
    for (let i = 0; i < 1200; i++) {
      const size = i % 100 === 0 ? 5000 : 120 + (i % 7);
      const body = new Uint8Array(size).fill(i & 0xff);
      payloads.push({ i, p: ok('RAW', ipv4(udp(1, 2, body), { protocol: PROTO.UDP })).payload });
    }
    for (const { i, p } of payloads) {
      assert.equal(p.length, i % 100 === 0 ? 5000 : 120 + (i % 7));
      assert.ok(
        p.every((b) => b === (i & 0xff)),
        `payload ${i} was overwritten`,
      );
    }
  });

  test('a frame that is a view into a larger buffer is read at its own offset', () => {
    const inner = ethernet(ETHERTYPE.IPV6, v6udp());
    const big = new Uint8Array(inner.length + 100).fill(0x77);
    big.set(inner, 50);
    const p = ok('ETHERNET', big.subarray(50, 50 + inner.length));
    assert.deepEqual([...p.payload], PAYLOAD);
  });
});

describe('parseFrame: TCP', () => {
  test('only a bare SYN or a bare SYN+ACK is accepted (PSH/ECE/CWR ignored)', () => {
    const { SYN, ACK, RST, FIN, PSH, ECE, CWR } = TCP_FLAGS;
    for (const flags of [SYN, SYN | PSH, SYN | ECE | CWR]) {
      const p = ok('RAW', v4syn(flags));
      assert.equal(p.protocol, 'tcp');
      assert.equal(p.synAck, false);
    }
    for (const flags of [SYN | ACK, SYN | ACK | PSH, SYN | ACK | ECE]) {
      assert.equal(ok('RAW', v4syn(flags)).synAck, true);
      assert.equal(ok('RAW', v6syn(flags)).synAck, true);
    }
    for (const flags of [
      0,
      ACK,
      RST,
      SYN | RST,
      SYN | ACK | RST,
      FIN,
      SYN | FIN,
      SYN | ACK | FIN,
      PSH | ACK,
      0xff,
    ]) {
      rejects('RAW', v4syn(flags), 'tcp-not-syn');
      rejects('RAW', v6syn(flags), 'tcp-not-syn');
    }
  });

  test('UDP is never a SYN+ACK', () => {
    assert.equal(ok('RAW', v4udp()).synAck, false);
    assert.equal(ok('RAW', v6udp()).synAck, false);
  });

  test('data offset < 5 or beyond the IP payload → tcp-header', () => {
    for (const dataOffset of [0, 1, 4, 6, 15]) {
      rejects('RAW', ipv4(tcp(1, 2, TCP_FLAGS.SYN, { dataOffset }), { protocol: PROTO.TCP }), 'tcp-header');
    }
    const withOpts = tcp(1, 2, TCP_FLAGS.SYN, { optionBytes: [2, 4, 5, 0xb4, 1, 1, 4, 2] });
    assert.equal(ok('RAW', ipv6(withOpts, { nextHeader: PROTO.TCP })).dstPort, 2);
  });

  test('IP payload shorter than 20 bytes → tcp-header', () => {
    rejects('RAW', ipv4(tcp(1, 2, TCP_FLAGS.SYN).subarray(0, 19), { protocol: PROTO.TCP }), 'tcp-header');
    rejects('RAW', ipv6(new Uint8Array(0), { nextHeader: PROTO.TCP }), 'tcp-header');
  });

  test('TCP data after a SYN is ignored, payload stays empty', () => {
    const p = ok('RAW', ipv4(tcp(1, 2, TCP_FLAGS.SYN, { payload: [1, 2, 3] }), { protocol: PROTO.TCP }));
    assert.equal(p.payload.length, 0);
  });
});

describe('parseFrame: IPv6 extension headers', () => {
  const H = { HOP: 0, ROUTING: 43, FRAGMENT: 44, ESP: 50, AH: 51, NONE: 59, DEST: 60 };

  test('hop-by-hop → UDP, and HBH → dest → routing → AH → dest → TCP', () => {
    const a = ipv6(bytes(extHeader(PROTO.UDP), udp(5, 62201, PAYLOAD)), { nextHeader: H.HOP });
    assert.deepEqual([...ok('RAW', a).payload], PAYLOAD);
    const chain = bytes(
      extHeader(H.DEST, 1),
      extHeader(H.ROUTING, 2),
      extHeader(H.AH),
      ahHeader(H.DEST),
      extHeader(PROTO.TCP),
      tcp(5, 50001, TCP_FLAGS.SYN),
    );
    const p = ok('RAW', ipv6(chain, { nextHeader: H.HOP }));
    assert.equal(p.protocol, 'tcp');
    assert.equal(p.dstPort, 50001);
  });

  test('Fragment header (even atomic) → fragment', () => {
    rejects(
      'RAW',
      ipv6(bytes(extHeader(PROTO.UDP), udp(1, 2, PAYLOAD)), { nextHeader: H.FRAGMENT }),
      'fragment',
    );
    const later = bytes(extHeader(H.FRAGMENT), extHeader(PROTO.UDP), udp(1, 2, PAYLOAD));
    rejects('RAW', ipv6(later, { nextHeader: H.DEST }), 'fragment');
  });

  test('ESP, No Next Header, ICMPv6 and unknown headers → ip-protocol', () => {
    for (const nh of [H.ESP, H.NONE, PROTO.ICMPV6, 135, 139, 140, 253, 255]) {
      rejects('RAW', ipv6(new Uint8Array(64), { nextHeader: nh }), 'ip-protocol');
    }
    // ESP after a destination options header: cap's decoder loops forever here.
    rejects('RAW', ipv6(bytes(extHeader(H.ESP), new Uint8Array(64)), { nextHeader: H.DEST }), 'ip-protocol');
  });

  test('8 extension headers are walked, the 9th → ip-header; a long loop of headers is bounded', () => {
    const chain = (count: number, last: number) =>
      bytes(...Array.from({ length: count }, (_, i) => extHeader(i === count - 1 ? last : H.DEST)));
    const eight = bytes(chain(8, PROTO.UDP), udp(1, 2, PAYLOAD));
    assert.deepEqual([...ok('RAW', ipv6(eight, { nextHeader: H.DEST })).payload], PAYLOAD);
    const nine = bytes(chain(9, PROTO.UDP), udp(1, 2, PAYLOAD));
    rejects('RAW', ipv6(nine, { nextHeader: H.DEST }), 'ip-header');
    const loop = bytes(chain(4000, H.DEST)); // 32 000 bytes of destination options pointing at themselves
    rejects('RAW', ipv6(loop, { nextHeader: H.DEST }), 'ip-header');
  });

  test('hop-by-hop anywhere but first → ip-header', () => {
    const chain = bytes(extHeader(H.HOP), extHeader(PROTO.UDP), udp(1, 2, PAYLOAD));
    rejects('RAW', ipv6(chain, { nextHeader: H.DEST }), 'ip-header');
  });

  test('extension header past the payload length → ip-header', () => {
    // Header claims 16 bytes, 8 present.
    rejects('RAW', ipv6(extHeader(PROTO.UDP, 1).subarray(0, 8), { nextHeader: H.DEST }), 'ip-header');
    // Only one byte left for the next header's next/length fields.
    rejects('RAW', ipv6(bytes(extHeader(H.DEST), [0]), { nextHeader: H.DEST }), 'ip-header');
    // Payload length says 0 but a header is expected.
    const p0 = ipv6(bytes(extHeader(PROTO.UDP), udp(1, 2, PAYLOAD)), {
      nextHeader: H.DEST,
      payloadLength: 0,
    });
    rejects('RAW', p0, 'ip-header');
    // AH length counts 4-byte units plus 2: len 255 → 1028 bytes.
    rejects('RAW', ipv6(ahHeader(PROTO.UDP, 4).fill(255, 1, 2), { nextHeader: H.AH }), 'ip-header');
  });

  test('payload length beyond the capture → truncated; shorter → bounds the packet', () => {
    rejects(
      'RAW',
      ipv6(udp(1, 2, PAYLOAD), { nextHeader: PROTO.UDP, payloadLength: 8 + PAYLOAD.length + 1 }),
      'truncated',
    );
    const short = ipv6(udp(1, 2, PAYLOAD), { nextHeader: PROTO.UDP, payloadLength: 8 + 2 });
    rejects('RAW', short, 'udp-length');
  });
});

describe('parseFrame: IPv6 address text (RFC 5952)', () => {
  const cases: Array<[string, string]> = [
    ['2001:db8:0:0:0:0:0:2', '2001:db8::2'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of equal runs
    ['FE80:0:0:0:ABCD:EF01:0:0', 'fe80::abcd:ef01:0:0'],
    ['0:0:0:0:0:ffff:c000:20a', '::ffff:c000:20a'], // IPv4-mapped stays hexadecimal
    ['0DB8:0:0:0:0:0:0:0DB8', 'db8::db8'],
  ];
  for (const [input, expected] of cases) {
    test(`${input} → ${expected}`, () => {
      const p = ok(
        'RAW',
        ipv6(udp(1, 2, []), { nextHeader: PROTO.UDP, src: input.toLowerCase(), dst: input }),
      );
      assert.equal(p.srcAddress, expected);
      assert.equal(p.dstAddress, expected);
    });
  }
});

test('FRAME_REJECTS lists each reason once', () => {
  assert.equal(new Set(FRAME_REJECTS).size, FRAME_REJECTS.length);
});

test('parseFrame does not read past frame.length of a subarray (padding outside the view is invisible)', () => {
  const ip = v4udp();
  const backing = new Uint8Array(ip.length + 10).fill(0);
  backing.set(ip);
  // Claim 10 more bytes of UDP than the view holds: bytes exist in the backing store, not in the view.
  backing[3] = ip.length + 10; // IPv4 total length low byte
  rejects('RAW', backing.subarray(0, ip.length), 'truncated');
});

test('an empty frame is truncated for every link type', () => {
  for (const link of LINKS) rejects(link, new Uint8Array(0), 'truncated');
});
