/**
 * IPv6 address text for the frame parser, per RFC 5952, from 16 bytes at an offset the caller
 * has already bounds-checked; table lookups and concatenation only (it runs per captured packet).
 * IPv4 text is shared's formatIpv4. Unlike shared's formatIpv6, an IPv4-mapped address stays in
 * hex here (::ffff:c000:201), the form the firewall's checks refuse.
 */

// Hex digits without leading zeros (HEX_SHORT) and zero-padded to two (HEX_PAIR), per byte value.
const HEX_SHORT: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16));
const HEX_PAIR: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** RFC 5952 §4: lowercase, no leading zeros, the first longest run (≥ 2) of zero groups as `::`. */
export function ipv6Text(f: Uint8Array, o: number): string {
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed (§4.2.2)
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if ((f[o + 2 * i]! | f[o + 2 * i + 1]!) === 0) {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLength) {
        bestStart = runStart;
        bestLength = i - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLength - 1;
      continue;
    }
    if (i !== 0 && i !== bestStart + bestLength) text += ':';
    const hi = f[o + 2 * i]!;
    const lo = f[o + 2 * i + 1]!;
    text += hi === 0 ? HEX_SHORT[lo]! : HEX_SHORT[hi]! + HEX_PAIR[lo]!;
  }
  return text;
}
