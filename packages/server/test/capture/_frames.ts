// Hand-built frames for the capture tests: every byte placed explicitly, no checksum computed
// (neither the parser nor libpcap's filter looks at checksums).

import type { LinkType } from '../../src/capture/frame.js';

export const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];

export function bytes(...parts: Array<ArrayLike<number>>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

/** Full (uncompressed or `::`) IPv6 text → 16 bytes. Test helper only, trusts its input. */
export function ipv6Bytes(text: string): number[] {
  const [head = '', tail] = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap(be16);
}

export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;
export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, ECE: 0x40, CWR: 0x80 };

export function udp(
  srcPort: number,
  dstPort: number,
  payload: ArrayLike<number>,
  length?: number,
): Uint8Array {
  return bytes(be16(srcPort), be16(dstPort), be16(length ?? 8 + payload.length), [0, 0], payload);
}

export function tcp(
  srcPort: number,
  dstPort: number,
  flags: number,
  options: { dataOffset?: number; optionBytes?: number[]; payload?: number[] } = {},
): Uint8Array {
  const opt = options.optionBytes ?? [];
  const doff = options.dataOffset ?? 5 + opt.length / 4;
  return bytes(
    be16(srcPort),
    be16(dstPort),
    [0, 0, 0, 1], // sequence number
    [0, 0, 0, 0], // acknowledgment number
    [doff << 4, flags],
    be16(64240), // window
    [0, 0, 0, 0], // checksum, urgent pointer
    opt,
    options.payload ?? [],
  );
}

export interface Ipv4Options {
  src?: string;
  dst?: string;
  protocol: number;
  ihl?: number;
  totalLength?: number;
  flagsFragment?: number;
  optionBytes?: number[];
  version?: number;
}

export function ipv4(l4: Uint8Array, o: Ipv4Options): Uint8Array {
  const opt = o.optionBytes ?? [];
  const ihl = o.ihl ?? 5 + opt.length / 4;
  const header = bytes(
    [((o.version ?? 4) << 4) | ihl, 0],
    be16(o.totalLength ?? 20 + opt.length + l4.length),
    [0x12, 0x34], // identification
    be16(o.flagsFragment ?? 0x4000), // DF
    [64, o.protocol, 0, 0],
    ipv4Bytes(o.src ?? '192.0.2.10'),
    ipv4Bytes(o.dst ?? '198.51.100.1'),
    opt,
  );
  return bytes(header, l4);
}

export interface Ipv6Options {
  src?: string;
  dst?: string;
  nextHeader: number;
  payloadLength?: number;
  version?: number;
}

/** `rest` is everything after the fixed header: extension headers, then the transport. */
export function ipv6(rest: Uint8Array, o: Ipv6Options): Uint8Array {
  return bytes(
    [(o.version ?? 6) << 4, 0, 0, 0],
    be16(o.payloadLength ?? rest.length),
    [o.nextHeader, 64],
    ipv6Bytes(o.src ?? '2001:db8::2'),
    ipv6Bytes(o.dst ?? '2001:db8::1'),
    rest,
  );
}

/** A generic extension header (hop-by-hop, routing, destination options): (len + 1) * 8 bytes. */
export function extHeader(next: number, lengthUnits = 0): Uint8Array {
  const out = new Uint8Array((lengthUnits + 1) * 8);
  out[0] = next;
  out[1] = lengthUnits;
  return out;
}

/** An Authentication Header (RFC 4302): (len + 2) * 4 bytes; len 4 = 24 bytes with a 96-bit ICV. */
export function ahHeader(next: number, lengthUnits = 4): Uint8Array {
  const out = new Uint8Array((lengthUnits + 2) * 4);
  out[0] = next;
  out[1] = lengthUnits;
  return out;
}

export const ETHERTYPE = { IPV4: 0x0800, IPV6: 0x86dd, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8 };

export function ethernet(ethertype: number, ip: Uint8Array, vlanTags: number[] = []): Uint8Array {
  const macs = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
  const tags = vlanTags.flatMap((tpid, i) => [...be16(tpid), ...be16(100 + i)]);
  return bytes(macs, tags, be16(ethertype), ip);
}

export function sll(protocol: number, ip: Uint8Array, packetType = 0): Uint8Array {
  return bytes(be16(packetType), be16(1), be16(6), [2, 0, 0, 0, 0, 1, 0, 0], be16(protocol), ip);
}

export function nullLink(family: number, ip: Uint8Array, littleEndian = true): Uint8Array {
  const af = littleEndian ? [family, 0, 0, 0] : [0, 0, 0, family];
  return bytes(af, ip);
}

/** Wrap an IP packet of the given family in each supported link layer. */
export function wrap(link: LinkType, family: 4 | 6, ip: Uint8Array): Uint8Array {
  const ethertype = family === 4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6;
  switch (link) {
    case 'ETHERNET':
      return ethernet(ethertype, ip);
    case 'LINKTYPE_LINUX_SLL':
      return sll(ethertype, ip);
    case 'RAW':
      return ip;
    case 'NULL':
      return nullLink(family === 4 ? 2 : 10, ip);
  }
}

export const LINKS: readonly LinkType[] = ['ETHERNET', 'LINKTYPE_LINUX_SLL', 'RAW', 'NULL'];

export const hex = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
