/**
 * Pure, bounds-checked parser of one captured frame: link header → IPv4/IPv6 → UDP, TCP SYN, or
 * TCP SYN+ACK (the server's answer to a new connection, seen leaving during a trial guard).
 * Attacker bytes come in; a typed result goes out. It never throws, reads no byte past
 * `frame.length`, loops a bounded number of times, and allocates only for accepted packets: the
 * result, the address strings and a copy of the UDP payload (cap reuses its buffer for every
 * packet). Rejects return shared frozen results (costs: docs/capture.md).
 *
 * Reject codes, in the order the checks run (cheapest first):
 *   truncated   the frame ends before a fixed header or before the length a header declares
 *               (cut capture, or a lying IPv4 total length / IPv6 payload length)
 *   link        unknown link type, unknown NULL address family, or an outgoing packet on `any`
 *               that is not a TCP SYN+ACK
 *   ethertype   neither IPv4 nor IPv6 (after at most two VLAN tags)
 *   ip-version  the IP version nibble disagrees with the link layer (or is neither 4 nor 6)
 *   ip-header   IPv4 IHL < 5 or total length < IHL; IPv6 extension header past the payload,
 *               hop-by-hop not first, or a chain longer than MAX_IPV6_EXT_HEADERS
 *   fragment    IPv4 MF set or offset ≠ 0; IPv6 Fragment header (44), even an atomic one
 *   ip-protocol the transport is neither UDP nor TCP (ESP 50 and No Next Header 59 included)
 *   udp-length  UDP header cut by the IP payload, or length field < 8 or > IP payload
 *   tcp-header  TCP header cut by the IP payload, or data offset < 5 or past the IP payload
 *   tcp-not-syn TCP flags are neither a bare SYN nor a bare SYN+ACK (RST and FIN clear)
 * Not checked: IPv4 header checksum and UDP/TCP checksums (SPA packets carry their own MAC;
 * a knock SYN with a bad checksum is still a knock), TCP options.
 */

import { formatIpv4 } from '@spa/shared';
import { ipv6Text } from './address-text.js';

export type LinkType = 'ETHERNET' | 'LINKTYPE_LINUX_SLL' | 'RAW' | 'NULL';

export interface CapturedPacket {
  family: 4 | 6;
  /** IPv4 dotted quad, or IPv6 in RFC 5952 form (lowercase, longest zero run compressed). */
  srcAddress: string;
  dstAddress: string;
  protocol: 'udp' | 'tcp';
  srcPort: number;
  dstPort: number;
  /** UDP payload, a fresh copy that owns its memory; empty for TCP. */
  payload: Uint8Array;
  /**
   * TCP SYN+ACK: a host answering a new connection (false for a bare SYN and for UDP). The
   * daemon captures these only leaving from trial ports (bpf.ts) and never hands them to the
   * knock paths (trial/). The parser always sets it; hand-built packets may omit it.
   */
  synAck?: boolean;
}

export const FRAME_REJECTS = [
  'truncated',
  'link',
  'ethertype',
  'ip-version',
  'ip-header',
  'fragment',
  'ip-protocol',
  'udp-length',
  'tcp-header',
  'tcp-not-syn',
] as const;
export type FrameReject = (typeof FRAME_REJECTS)[number];

export type FrameResult = { ok: true; packet: CapturedPacket } | { ok: false; reason: FrameReject };

// --- Link layers -------------------------------------------------------------------------
// Ethernet II:  dst(6) src(6) type(2) | 802.1Q/802.1ad tag: TCI(2) type(2), at most two.
const ETH_HEADER = 14;
const ETH_TYPE_OFFSET = 12;
const VLAN_TAG = 4;
const MAX_VLAN_TAGS = 2;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100; // 802.1Q
const ETHERTYPE_QINQ = 0x88a8; // 802.1ad
const ETHERTYPE_QINQ_OLD = 0x9100; // pre-standard double tagging
// Linux cooked capture v1 (device `any`): packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2).
const SLL_HEADER = 16;
const SLL_PROTOCOL_OFFSET = 14;
const SLL_OUTGOING = 4; // PACKET_OUTGOING: sent by this host, not received
// BSD loopback (DLT_NULL): 4-byte address family in the capturing host's byte order.
const NULL_HEADER = 4;
const AF_INET = 2;
const AF_INET6_VALUES = [10, 24, 28, 30]; // Linux, NetBSD/OpenBSD, FreeBSD, macOS

// --- IPv4 (RFC 791 §3.1) -----------------------------------------------------------------
const IPV4_MIN_HEADER = 20;
const IPV4_TOTAL_LENGTH = 2;
const IPV4_FLAGS_FRAGMENT = 6; // flags(3 bits) + fragment offset(13 bits)
const IPV4_MF_AND_OFFSET = 0x3fff;
const IPV4_PROTOCOL = 9;
const IPV4_SRC = 12;
const IPV4_DST = 16;

// --- IPv6 (RFC 8200 §3, §4) --------------------------------------------------------------
const IPV6_HEADER = 40;
const IPV6_PAYLOAD_LENGTH = 4;
const IPV6_NEXT_HEADER = 6;
const IPV6_SRC = 8;
const IPV6_DST = 24;
const MAX_IPV6_EXT_HEADERS = 8;
const NH_HOP_BY_HOP = 0;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_AH = 51; // RFC 4302: length in 4-octet units, minus 2
const NH_DEST_OPTS = 60;

// --- Transport ---------------------------------------------------------------------------
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const UDP_HEADER = 8;
const UDP_LENGTH = 4;
const TCP_MIN_HEADER = 20;
const TCP_DATA_OFFSET = 12;
const TCP_FLAGS = 13;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const TCP_SYN_MASK = TCP_FIN | TCP_SYN | TCP_RST | TCP_ACK;
const TCP_SYN_ACK = TCP_SYN | TCP_ACK;

const EMPTY = new Uint8Array(0);

// One frozen result per reason: rejecting (the flood path) allocates nothing.
const REJECTS = Object.fromEntries(
  FRAME_REJECTS.map((reason) => [reason, Object.freeze({ ok: false, reason })]),
) as {
  readonly [R in FrameReject]: FrameResult;
};
const reject = (reason: FrameReject): FrameResult => REJECTS[reason];
const u16 = (f: Uint8Array, o: number): number => (f[o]! << 8) | f[o + 1]!;

/** Parse one frame of the given link type. Never throws; `frame` is not retained. */
export function parseFrame(link: LinkType, frame: Uint8Array): FrameResult {
  const n = frame.length;
  switch (link) {
    case 'ETHERNET': {
      if (n < ETH_HEADER) return reject('truncated');
      let typeOffset = ETH_TYPE_OFFSET;
      let type = u16(frame, typeOffset);
      for (
        let tags = 0;
        type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD;
        tags++
      ) {
        if (tags === MAX_VLAN_TAGS) return reject('ethertype');
        typeOffset += VLAN_TAG;
        if (n < typeOffset + 2) return reject('truncated');
        type = u16(frame, typeOffset);
      }
      return parseByEthertype(frame, typeOffset + 2, type);
    }
    case 'LINKTYPE_LINUX_SLL': {
      if (n < SLL_HEADER) return reject('truncated');
      // Outgoing: only a SYN+ACK passes (parseTransport rejects anything else as `link`).
      const outgoing = u16(frame, 0) === SLL_OUTGOING;
      return parseByEthertype(frame, SLL_HEADER, u16(frame, SLL_PROTOCOL_OFFSET), outgoing);
    }
    case 'RAW': {
      if (n < 1) return reject('truncated');
      const version = frame[0]! >> 4;
      if (version === 4) return parseIpv4(frame, 0);
      if (version === 6) return parseIpv6(frame, 0);
      return reject('ip-version');
    }
    case 'NULL': {
      if (n < NULL_HEADER) return reject('truncated');
      // Accept either byte order (as Wireshark does): the value is small, so one end is zero.
      const b0 = frame[0]!;
      const b3 = frame[3]!;
      const mid = frame[1]! | frame[2]!;
      const family = mid !== 0 ? -1 : b3 === 0 ? b0 : b0 === 0 ? b3 : -1;
      if (family === AF_INET) return ipv4WithVersion(frame, NULL_HEADER);
      if (AF_INET6_VALUES.includes(family)) return ipv6WithVersion(frame, NULL_HEADER);
      return reject('link');
    }
    default:
      return reject('link');
  }
}

function parseByEthertype(frame: Uint8Array, ip: number, type: number, outgoing = false): FrameResult {
  if (type === ETHERTYPE_IPV4) return ipv4WithVersion(frame, ip, outgoing);
  if (type === ETHERTYPE_IPV6) return ipv6WithVersion(frame, ip, outgoing);
  return reject(outgoing ? 'link' : 'ethertype');
}

function ipv4WithVersion(frame: Uint8Array, ip: number, outgoing = false): FrameResult {
  if (frame.length < ip + 1) return reject('truncated');
  return frame[ip]! >> 4 === 4 ? parseIpv4(frame, ip, outgoing) : reject('ip-version');
}

function ipv6WithVersion(frame: Uint8Array, ip: number, outgoing = false): FrameResult {
  if (frame.length < ip + 1) return reject('truncated');
  return frame[ip]! >> 4 === 6 ? parseIpv6(frame, ip, outgoing) : reject('ip-version');
}

/** `ip` is the offset of an IPv4 header whose version nibble is already known to be 4. */
function parseIpv4(frame: Uint8Array, ip: number, outgoing = false): FrameResult {
  if (frame.length < ip + IPV4_MIN_HEADER) return reject('truncated');
  const headerLength = (frame[ip]! & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER) return reject('ip-header');
  const totalLength = u16(frame, ip + IPV4_TOTAL_LENGTH);
  if (totalLength < headerLength) return reject('ip-header');
  // The total length, not the capture length, bounds the packet (Ethernet pads short frames).
  const end = ip + totalLength;
  if (end > frame.length) return reject('truncated');
  if ((u16(frame, ip + IPV4_FLAGS_FRAGMENT) & IPV4_MF_AND_OFFSET) !== 0) return reject('fragment');
  return parseTransport(frame, frame[ip + IPV4_PROTOCOL]!, ip + headerLength, end, 4, ip, outgoing);
}

/** `ip` is the offset of an IPv6 header whose version nibble is already known to be 6. */
function parseIpv6(frame: Uint8Array, ip: number, outgoing = false): FrameResult {
  if (frame.length < ip + IPV6_HEADER) return reject('truncated');
  const end = ip + IPV6_HEADER + u16(frame, ip + IPV6_PAYLOAD_LENGTH);
  if (end > frame.length) return reject('truncated');
  let next = frame[ip + IPV6_NEXT_HEADER]!;
  let offset = ip + IPV6_HEADER;
  // Walk the extension header chain (RFC 8200 §4.1), at most MAX_IPV6_EXT_HEADERS deep.
  for (let count = 0; next !== PROTO_UDP && next !== PROTO_TCP; count++) {
    if (next === NH_FRAGMENT) return reject('fragment');
    if (next !== NH_HOP_BY_HOP && next !== NH_ROUTING && next !== NH_DEST_OPTS && next !== NH_AH) {
      return reject('ip-protocol'); // ESP 50, No Next Header 59, ICMPv6, anything else
    }
    if (count === MAX_IPV6_EXT_HEADERS) return reject('ip-header');
    if (next === NH_HOP_BY_HOP && count !== 0) return reject('ip-header'); // §4.3: only first
    if (offset + 2 > end) return reject('ip-header');
    const lengthField = frame[offset + 1]!;
    const length = next === NH_AH ? (lengthField + 2) * 4 : (lengthField + 1) * 8;
    if (offset + length > end) return reject('ip-header');
    next = frame[offset]!;
    offset += length;
  }
  return parseTransport(frame, next, offset, end, 6, ip, outgoing);
}

function parseTransport(
  frame: Uint8Array,
  protocol: number,
  start: number,
  end: number,
  family: 4 | 6,
  ip: number,
  outgoing: boolean,
): FrameResult {
  const available = end - start;
  // An outgoing frame (`any` device) is of use only as a SYN+ACK; UDP is never copied.
  if (outgoing && protocol !== PROTO_TCP) return reject('link');
  if (protocol === PROTO_UDP) {
    if (available < UDP_HEADER) return reject('udp-length');
    const length = u16(frame, start + UDP_LENGTH);
    if (length < UDP_HEADER || length > available) return reject('udp-length');
    const payload = copyPayload(frame, start + UDP_HEADER, length - UDP_HEADER);
    return accepted(frame, family, ip, start, 'udp', payload, false);
  }
  if (protocol === PROTO_TCP) {
    if (available < TCP_MIN_HEADER) return reject('tcp-header');
    const dataOffset = (frame[start + TCP_DATA_OFFSET]! >> 4) * 4;
    if (dataOffset < TCP_MIN_HEADER || dataOffset > available) return reject('tcp-header');
    const flags = frame[start + TCP_FLAGS]! & TCP_SYN_MASK;
    const synAck = flags === TCP_SYN_ACK;
    if (outgoing && !synAck) return reject('link');
    if (flags !== TCP_SYN && !synAck) return reject('tcp-not-syn');
    return accepted(frame, family, ip, start, 'tcp', EMPTY, synAck);
  }
  return reject('ip-protocol');
}

/** An accepted packet; `start` is the transport header (ports at +0 and +2). */
function accepted(
  frame: Uint8Array,
  family: 4 | 6,
  ip: number,
  start: number,
  protocol: 'udp' | 'tcp',
  payload: Uint8Array,
  synAck: boolean,
): FrameResult {
  return {
    ok: true,
    packet: {
      family,
      srcAddress: sourceText(frame, family, ip),
      dstAddress: destinationText(frame, family, ip),
      protocol,
      srcPort: u16(frame, start),
      dstPort: u16(frame, start + 2),
      payload,
      synAck,
    },
  };
}

// Addresses are formatted only for accepted packets (strings are the costliest part of a parse).
const sourceText = (f: Uint8Array, family: 4 | 6, ip: number): string =>
  family === 4 ? formatIpv4(f, ip + IPV4_SRC) : ipv6Text(f, ip + IPV6_SRC);
const destinationText = (f: Uint8Array, family: 4 | 6, ip: number): string =>
  family === 4 ? formatIpv4(f, ip + IPV4_DST) : ipv6Text(f, ip + IPV6_DST);

// Payload copies are carved out of a private slab: allocating a small typed array costs ~450 ns
// on Node 20 (measured), a slab slice ~100 ns. A slab region is handed out once and never written
// again; a new slab replaces a full one. A kept payload keeps its slab (SLAB_BYTES) alive.
const SLAB_BYTES = 64 * 1024;
const SLAB_MAX_PAYLOAD = 2048; // larger payloads get their own buffer
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

function copyPayload(frame: Uint8Array, from: number, length: number): Uint8Array {
  if (length === 0) return EMPTY;
  const source = frame.subarray(from, from + length);
  if (length > SLAB_MAX_PAYLOAD) {
    const own = new Uint8Array(length); // not source.slice(): on a Buffer that is a view
    own.set(source);
    return own;
  }
  if (slabUsed + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const start = slabUsed;
  slab.set(source, start);
  slabUsed += length;
  return slab.subarray(start, start + length);
}
