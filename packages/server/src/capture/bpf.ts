/**
 * Pure builder of the libpcap filter expression (pcap-filter(7)) the kernel runs before any
 * packet reaches JavaScript. It is port-based only: which destination addresses count is the
 * daemon's decision, not the filter's.
 *
 * Shape, for SPA ports a, b, c, the fwknop port f and a knock-sequence range lo-hi over both protocols:
 *   (udp and dst port (a or b or c))
 *   or (udp and dst port f and ((ip and udp[4:2] <= N) or (ip6 and ip6[44:2] <= N)))
 *   or (tcp and dst portrange lo-hi and ((ip and tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst|tcp-fin) == tcp-syn)
 *                                   or (ip6 and ip6[53] & 0x17 == 0x02)))
 *   or (udp and dst portrange lo-hi)
 *   or (outbound and tcp and src port (22 or 80) and ((ip and tcp[tcpflags] & (…) == (tcp-syn|tcp-ack))
 *                                                 or (ip6 and ip6[53] & 0x17 == 0x12)))
 *
 * The last term exists only while a trial guard waits for its confirmation (trial/):
 * the host's own SYN+ACKs leaving from the trial ports, i.e. a new connection that got through
 * every firewall table to the service. `outbound` is the kernel's packet type (Linux, live
 * capture, every link type), so a SYN+ACK forged towards this host cannot confirm a trial.
 *
 * IPv6 notes (libpcap 1.10):
 * - `tcp[...]` only ever matches IPv4 ("expression rejects all packets" for `ip6 and tcp[13]...`),
 *   so IPv6 SYNs are tested by absolute offset: 40-byte fixed header + 13 = ip6[53], the TCP flags.
 *   The mask 0x17 = FIN|SYN|RST|ACK, the same rule as the frame parser (a bare SYN).
 * - `udp`, `tcp` and `dst port` match IPv6 only when the transport header follows the fixed header
 *   directly (Next Header 17 or 6), which is also exactly when ip6[53] is the TCP flags byte. IPv6
 *   packets with extension headers are therefore not captured at all; clients do not send them, and
 *   accepting them would mean passing every such packet to userland. The parser still handles them.
 * - VLAN: on Linux the kernel strips 802.1Q tags before the socket filter runs, so no `vlan` needed.
 * - IPv4 non-first fragments never match `dst port`; first fragments (MF set) are rejected by the parser.
 */

import { CaptureError } from './errors.js';

export type KnockProtocol = 'tcp' | 'udp';
/** Inclusive destination port range. */
export type PortRange = readonly [lo: number, hi: number];

export interface FilterSpec {
  /** UDP destination ports of the SPA knock steps (T-1, T, T+1); duplicates are removed. */
  spaPorts: readonly number[];
  /** One-time port-sequence knocks: TCP SYNs and/or UDP datagrams to these ranges. */
  sequence?: { ranges: readonly PortRange[]; protocols: readonly KnockProtocol[] };
  /**
   * UDP datagrams to this port whose payload is at most `maxPayload` bytes (the fwknop port:
   * longer packets are dropped by the kernel, so a flood of them never fills the capture ring).
   */
  cappedUdp?: { port: number; maxPayload: number };
  /** Trial confirmation: outgoing TCP SYN+ACKs from these source ports; duplicates are removed. */
  synAckPorts?: readonly number[];
}

/** Bounds keep the compiled BPF program far below the kernel's 4096-instruction limit. */
export const MAX_SPA_PORTS = 32;
export const MAX_SEQUENCE_RANGES = 32;

const TCP_SYN_IPV4 = 'ip and tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst|tcp-fin) == tcp-syn';
const TCP_SYN_IPV6 = 'ip6 and ip6[53] & 0x17 == 0x02';
const TCP_SYN_ACK_IPV4 = 'ip and tcp[tcpflags] & (tcp-syn|tcp-ack|tcp-rst|tcp-fin) == (tcp-syn|tcp-ack)';
const TCP_SYN_ACK_IPV6 = 'ip6 and ip6[53] & 0x17 == 0x12';

/** Build the capture filter. Throws CaptureError('capture-filter-input') on invalid input. */
export function buildFilter(spec: FilterSpec): string {
  const parts: string[] = [];
  const ports = dedupe(spec.spaPorts.map((p, i) => checkPort(p, `spaPorts[${i}]`)));
  if (ports.length > MAX_SPA_PORTS) fail(`spaPorts has ${ports.length} ports, at most ${MAX_SPA_PORTS}`);
  if (ports.length > 0) parts.push(`(udp and dst port (${ports.join(' or ')}))`);

  if (spec.cappedUdp !== undefined) {
    const { port, maxPayload } = spec.cappedUdp;
    checkPort(port, 'cappedUdp.port');
    if (!Number.isInteger(maxPayload) || maxPayload < 1 || maxPayload > 65507)
      fail(`cappedUdp.maxPayload is ${String(maxPayload)}, expected 1..65507`);
    // The UDP length field (header included): udp[4:2] is IPv4 only (like tcp[]), so IPv6 is
    // read at its fixed offset, 40-byte header + 4 (no extension headers, as above).
    const len = maxPayload + 8;
    parts.push(
      `(udp and dst port ${port} and ((ip and udp[4:2] <= ${len}) or (ip6 and ip6[44:2] <= ${len})))`,
    );
  }

  if (spec.sequence !== undefined) {
    const { ranges, protocols } = spec.sequence;
    if (ranges.length === 0) fail('sequence.ranges is empty');
    if (ranges.length > MAX_SEQUENCE_RANGES) {
      fail(`sequence.ranges has ${ranges.length} ranges, at most ${MAX_SEQUENCE_RANGES}`);
    }
    if (protocols.length === 0) fail('sequence.protocols is empty');
    const terms = dedupe(
      ranges.map(([lo, hi], i) => {
        checkPort(lo, `sequence.ranges[${i}][0]`);
        checkPort(hi, `sequence.ranges[${i}][1]`);
        if (lo > hi) fail(`sequence.ranges[${i}] is [${lo}, ${hi}]: low end above high end`);
        return lo === hi ? `dst port ${lo}` : `dst portrange ${lo}-${hi}`;
      }),
    );
    const dst = terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`;
    for (const protocol of dedupe(protocols)) {
      if (protocol === 'tcp') {
        parts.push(`(tcp and ${dst} and ((${TCP_SYN_IPV4}) or (${TCP_SYN_IPV6})))`);
      } else if (protocol === 'udp') {
        parts.push(`(udp and ${dst})`);
      } else {
        fail(`sequence.protocols contains ${JSON.stringify(protocol)}, expected "tcp" or "udp"`);
      }
    }
  }

  if (spec.synAckPorts !== undefined && spec.synAckPorts.length > 0) parts.push(synAckTerm(spec.synAckPorts));

  // An empty expression would make libpcap capture everything.
  if (parts.length === 0) fail('nothing to capture: no SPA ports and no sequence');
  return parts.join(' or ');
}

/**
 * The trial term alone: this host's SYN+ACKs leaving from `ports` (see the header). The daemon
 * ORs it onto the knock filter while a trial is pending.
 */
export function synAckTerm(ports: readonly number[]): string {
  const list = dedupe(ports.map((p, i) => checkPort(p, `synAckPorts[${i}]`)));
  if (list.length === 0) fail('synAckPorts is empty');
  if (list.length > MAX_SPA_PORTS) fail(`synAckPorts has ${list.length} ports, at most ${MAX_SPA_PORTS}`);
  const src = list.length === 1 ? `src port ${list[0]}` : `src port (${list.join(' or ')})`;
  return `(outbound and tcp and ${src} and ((${TCP_SYN_ACK_IPV4}) or (${TCP_SYN_ACK_IPV6})))`;
}

function checkPort(port: number, label: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    fail(`${label} is ${String(port)}, expected an integer port 1..65535`);
  }
  return port;
}

function dedupe<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function fail(message: string): never {
  throw new CaptureError(
    'capture-filter-input',
    `invalid capture filter input: ${message}`,
    'this is a bug in the caller: ports must be integers 1..65535 and ranges [lo, hi] with lo <= hi',
  );
}
