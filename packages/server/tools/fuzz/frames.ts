/**
 * Builders of well-formed frames around a transport payload, for the fuzzer: Ethernet II →
 * IPv4 (RFC 791) or IPv6 (RFC 8200) → UDP (RFC 768) or a bare TCP SYN (RFC 9293). Checksums
 * are left zero: neither the filter nor the parser reads them.
 */
import { parseIp } from '@spa/shared';

export const ETH_HEADER = 14;
export const IPV4_HEADER = 20;
export const IPV6_HEADER = 40;
export const UDP_HEADER = 8;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const TCP_SYN = 0x02;

export interface FrameSpec {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function address(text: string): Uint8Array {
  const a = parseIp(text);
  if (!a) throw new Error(`fuzz frames: bad address ${text}`);
  return a.bytes;
}

export function udpSegment(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(UDP_HEADER + payload.length);
  put16(out, 0, srcPort);
  put16(out, 2, dstPort);
  put16(out, 4, out.length);
  out.set(payload, UDP_HEADER);
  return out;
}

export function tcpSyn(srcPort: number, dstPort: number): Uint8Array {
  const out = new Uint8Array(20);
  put16(out, 0, srcPort);
  put16(out, 2, dstPort);
  out[7] = 1; // sequence number
  out[12] = 5 << 4; // data offset
  out[13] = TCP_SYN;
  put16(out, 14, 64240);
  return out;
}

/** Ethernet II + IPv4 or IPv6 (by the source address) around a transport segment. */
export function ipFrame(spec: FrameSpec, protocol: 'udp' | 'tcp', segment: Uint8Array): Uint8Array {
  const src = address(spec.src);
  const dst = address(spec.dst);
  const v6 = src.length === 16;
  const ipHeader = v6 ? IPV6_HEADER : IPV4_HEADER;
  const frame = new Uint8Array(ETH_HEADER + ipHeader + segment.length);
  frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
  put16(frame, 12, v6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
  const ip = ETH_HEADER;
  const proto = protocol === 'udp' ? PROTO_UDP : PROTO_TCP;
  if (v6) {
    frame[ip] = 0x60;
    put16(frame, ip + 4, segment.length);
    frame[ip + 6] = proto;
    frame[ip + 7] = 64;
    frame.set(src, ip + 8);
    frame.set(dst, ip + 24);
  } else {
    frame[ip] = 0x45;
    put16(frame, ip + 2, IPV4_HEADER + segment.length);
    put16(frame, ip + 6, 0x4000); // DF
    frame[ip + 8] = 64;
    frame[ip + 9] = proto;
    frame.set(src, ip + 12);
    frame.set(dst, ip + 16);
  }
  frame.set(segment, ip + ipHeader);
  return frame;
}

export function udpFrame(spec: FrameSpec, payload: Uint8Array): Uint8Array {
  return ipFrame(spec, 'udp', udpSegment(spec.srcPort, spec.dstPort, payload));
}

export function synFrame(spec: FrameSpec): Uint8Array {
  return ipFrame(spec, 'tcp', tcpSyn(spec.srcPort, spec.dstPort));
}

/** Offset of the UDP payload in a frame made by udpFrame. */
export function udpPayloadOffset(frame: Uint8Array): number {
  const v6 = frame[12] === 0x86 && frame[13] === 0xdd;
  return ETH_HEADER + (v6 ? IPV6_HEADER : IPV4_HEADER) + UDP_HEADER;
}
