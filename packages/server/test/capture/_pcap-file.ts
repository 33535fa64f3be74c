// Minimal classic pcap file writer/reader (https://www.tcpdump.org/manpages/pcap-savefile.5.html),
// so tests can run libpcap's filter over hand-built frames with `tcpdump -r`.

export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113 } as const;

const MAGIC = 0xa1b2c3d4;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export function writePcap(linkType: number, frames: readonly Uint8Array[]): Buffer {
  const size = GLOBAL_HEADER + frames.reduce((n, f) => n + RECORD_HEADER + f.length, 0);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt16LE(2, 4); // version 2.4
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(65535, 16); // snaplen
  out.writeUInt32LE(linkType, 20);
  let o = GLOBAL_HEADER;
  frames.forEach((frame, i) => {
    out.writeUInt32LE(1_700_000_000 + i, o); // seconds
    out.writeUInt32LE(frame.length, o + 8); // captured length
    out.writeUInt32LE(frame.length, o + 12); // original length
    out.set(frame, o + RECORD_HEADER);
    o += RECORD_HEADER + frame.length;
  });
  return out;
}

/** Frames of a little-endian classic pcap file (what tcpdump writes on x86). */
export function readPcap(file: Buffer): Buffer[] {
  if (file.length < GLOBAL_HEADER || file.readUInt32LE(0) !== MAGIC) throw new Error('not a LE pcap file');
  const frames: Buffer[] = [];
  let o = GLOBAL_HEADER;
  while (o + RECORD_HEADER <= file.length) {
    const captured = file.readUInt32LE(o + 8);
    frames.push(file.subarray(o + RECORD_HEADER, o + RECORD_HEADER + captured));
    o += RECORD_HEADER + captured;
  }
  return frames;
}
