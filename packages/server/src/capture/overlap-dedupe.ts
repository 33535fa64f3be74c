/**
 * While PcapSource switches filters, the old and new handles of one interface are both open for
 * a short overlap, so a frame matching both filters is captured twice. This remembers the packets
 * delivered during the overlap and recognises the second copy from another handle.
 */

import type { CapturedPacket } from './frame.js';

/** Packets remembered per overlap; beyond it, twins get through (the replay check catches them). */
export const MAX_OVERLAP_DEDUPE = 128;

export class OverlapDedupe<Source> {
  private readonly seen: Array<{ packet: CapturedPacket; from: Source[] }> = [];

  constructor(private readonly max: number = MAX_OVERLAP_DEDUPE) {}

  /**
   * True if the same packet was already delivered from a different source during this overlap
   * (drop it); otherwise remembers it and returns false (deliver it). Each source's copy is
   * matched once, so a repeat from the same source is a new packet.
   */
  isTwin(from: Source, packet: CapturedPacket): boolean {
    for (const entry of this.seen) {
      if (!entry.from.includes(from) && samePacket(entry.packet, packet)) {
        entry.from.push(from);
        return true;
      }
    }
    if (this.seen.length < this.max) this.seen.push({ packet, from: [from] });
    return false;
  }

  /** The overlap is over. */
  clear(): void {
    this.seen.length = 0;
  }

  get size(): number {
    return this.seen.length;
  }
}

function samePacket(a: CapturedPacket, b: CapturedPacket): boolean {
  if (
    a.srcPort !== b.srcPort ||
    a.dstPort !== b.dstPort ||
    a.protocol !== b.protocol ||
    a.srcAddress !== b.srcAddress ||
    a.dstAddress !== b.dstAddress ||
    a.payload.length !== b.payload.length
  ) {
    return false;
  }
  for (let i = 0; i < a.payload.length; i++) if (a.payload[i] !== b.payload[i]) return false;
  return true;
}
