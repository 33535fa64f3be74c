/**
 * Capture: where a packet enters. libpcap (`PcapSource`) behind the `PacketSource` interface,
 * the capture filter (bpf.ts) and the frame parser that turns link-layer bytes into a
 * `CapturedPacket` or a reason.
 */
export {
  buildFilter,
  type FilterSpec,
  type KnockProtocol,
  MAX_SEQUENCE_RANGES,
  MAX_SPA_PORTS,
  type PortRange,
  synAckTerm,
} from './bpf.js';
export { CaptureError, type CaptureErrorCode } from './errors.js';
export {
  type CapturedPacket,
  FRAME_REJECTS,
  type FrameReject,
  type FrameResult,
  type LinkType,
  parseFrame,
} from './frame.js';
export type { CaptureReject, PacketHandler, PacketSource, RejectHandler } from './packet-source.js';
export { PcapSource, type PcapSourceOptions, type PcapSourceTestSeams } from './pcap-source.js';
