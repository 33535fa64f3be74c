/**
 * Reading what `tcpdump -n -x` prints: one summary line per packet, then (with -x) the IP
 * packet in hex, without its link-layer header. Pure functions over text; no I/O.
 *
 *   14:08:19.777007 IP 192.0.2.2.58718 > 192.0.2.1.44113: UDP, length 336
 *   	0x0000:  4500 016c 24cc 4000 4011 90b1 c000 0202
 *   	0x0010:  c000 0201 e55e ac51 0158 856d 2484 b241
 */

export interface SniffedPacket {
  /** tcpdump's summary line, as printed. */
  readonly summary: string;
  readonly src: string;
  readonly srcPort: number;
  readonly dst: string;
  readonly dstPort: number;
  /** The IP packet (header included) when tcpdump printed it with -x, else empty. */
  readonly ip: Uint8Array;
}

/** `HH:MM:SS.us IP a.b.c.d.port > e.f.g.h.port: …` (IPv4) or `IP6 x::y.port > …` (IPv6). */
const SUMMARY_RE = /^\S+ IP6? (\S+)\.(\d+) > (\S+)\.(\d+): /;
const HEX_RE = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4} ?)+)\s*$/;

/** Splits tcpdump's stdout into packets; lines that are neither a summary nor hex are skipped. */
export function parseTcpdump(lines: readonly string[]): SniffedPacket[] {
  const out: SniffedPacket[] = [];
  let current: { head: Omit<SniffedPacket, 'ip'>; hex: string[] } | undefined;
  const flush = () => {
    if (current) out.push({ ...current.head, ip: Buffer.from(current.hex.join(''), 'hex') });
    current = undefined;
  };
  for (const line of lines) {
    const m = SUMMARY_RE.exec(line);
    if (m) {
      flush();
      current = {
        head: { summary: line, src: m[1]!, srcPort: Number(m[2]), dst: m[3]!, dstPort: Number(m[4]) },
        hex: [],
      };
      continue;
    }
    const h = HEX_RE.exec(line);
    if (h && current) current.hex.push(h[1]!.replace(/\s+/g, ''));
  }
  flush();
  return out;
}

const IPV4_MIN_HEADER = 20;
const IPV6_HEADER = 40;
const UDP_HEADER = 8;
const PROTO_UDP = 17;

/**
 * The UDP payload of an IP packet (IPv4 with options, or IPv6 without extension headers),
 * checked against the UDP length field; undefined for anything else or a truncated packet.
 */
export function udpPayload(ip: Uint8Array): Uint8Array | undefined {
  if (ip.length < 1) return undefined;
  const version = ip[0]! >> 4;
  let offset: number;
  if (version === 4) {
    const ihl = (ip[0]! & 0x0f) * 4;
    if (ihl < IPV4_MIN_HEADER || ip.length < ihl + UDP_HEADER || ip[9] !== PROTO_UDP) return undefined;
    offset = ihl;
  } else if (version === 6) {
    if (ip.length < IPV6_HEADER + UDP_HEADER || ip[6] !== PROTO_UDP) return undefined;
    offset = IPV6_HEADER;
  } else return undefined;
  const udpLength = (ip[offset + 4]! << 8) | ip[offset + 5]!;
  if (udpLength < UDP_HEADER || offset + udpLength > ip.length) return undefined;
  return ip.subarray(offset + UDP_HEADER, offset + udpLength);
}
