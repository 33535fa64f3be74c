/**
 * The one interface the daemon codes against for incoming packets. The real implementation is
 * PcapSource (libpcap via `cap`); FakePacketSource feeds unit tests without root.
 */

import type { CapturedPacket, FrameReject } from './frame.js';

/** Why a captured frame was dropped before reaching `onPacket`. */
export type CaptureReject =
  | FrameReject
  /** Shed without parsing: too many packets in one event-loop turn (see PcapSource). */
  | 'overload';

/**
 * Called synchronously for every parsed packet. The packet is already a copy, so it may be kept
 * or handed to async code. Must not throw (it runs inside libpcap's dispatch loop).
 */
export type PacketHandler = (packet: CapturedPacket, receivedAtMs: number) => void;
/** Called for dropped frames, for counting only: never log per frame (a flood would flood the log). */
export type RejectHandler = (reason: CaptureReject) => void;

export interface PacketSource {
  /** Start delivering packets; `onPacket` is called synchronously for each parsed packet (already copied). */
  start(onPacket: PacketHandler, onReject?: RejectHandler): void;
  /**
   * Replace the BPF filter (the daemon re-arms it as knock ports rotate). Leaves no gap: the new filter is in force
   * before the old one is removed, and a packet is not delivered twice because of the switch.
   * Before start() it only changes the filter start() will use.
   */
  setFilter(filter: string): void;
  /** Stop delivering and release every handle. Idempotent. */
  stop(): void;
}
