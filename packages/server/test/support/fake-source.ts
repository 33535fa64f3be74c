// In-memory PacketSource for unit tests: push parsed packets or raw frames by hand.
// It records filters but does not evaluate them (that is libpcap's job, tested in the lab).

import { CaptureError } from '../../src/capture/errors.js';
import { type CapturedPacket, type FrameResult, type LinkType, parseFrame } from '../../src/capture/frame.js';
import type {
  CaptureReject,
  PacketHandler,
  PacketSource,
  RejectHandler,
} from '../../src/capture/packet-source.js';

export interface FakePacketSourceOptions {
  /** Filter in force before any setFilter() call. */
  filter?: string;
  /** Link type used by pushFrame() when none is given. Default 'ETHERNET'. */
  link?: LinkType;
  /** Receive time for pushed packets without an explicit one. Default Date.now. */
  now?: () => number;
}

export class FakePacketSource implements PacketSource {
  /** Every filter set, in order, the initial one first (if given). */
  readonly filters: string[] = [];
  /** Rejects reported through onReject, in order. */
  readonly rejects: CaptureReject[] = [];
  private onPacket: PacketHandler | undefined;
  private onReject: RejectHandler | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private readonly link: LinkType;
  private readonly now: () => number;

  constructor(options: FakePacketSourceOptions = {}) {
    if (options.filter !== undefined) this.filters.push(options.filter);
    this.link = options.link ?? 'ETHERNET';
    this.now = options.now ?? Date.now;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  get filter(): string | undefined {
    return this.filters.at(-1);
  }

  start(onPacket: PacketHandler, onReject?: RejectHandler): void {
    if (this.state !== 'new')
      throw new CaptureError('capture-state', 'packet source already started', 'create a new source');
    this.state = 'running';
    this.onPacket = onPacket;
    this.onReject = onReject;
  }

  setFilter(filter: string): void {
    this.filters.push(filter);
  }

  stop(): void {
    this.state = 'stopped';
    this.onPacket = undefined;
    this.onReject = undefined;
  }

  /** Deliver a packet as if captured. Returns false (and drops it) when not running. */
  push(packet: CapturedPacket, receivedAtMs: number = this.now()): boolean {
    if (this.onPacket === undefined) return false;
    this.onPacket(packet, receivedAtMs);
    return true;
  }

  /** Parse a frame like PcapSource does and deliver or reject it (only while running). */
  pushFrame(frame: Uint8Array, link: LinkType = this.link, receivedAtMs: number = this.now()): FrameResult {
    const result = parseFrame(link, frame);
    if (this.state !== 'running') return result;
    if (result.ok) this.onPacket?.(result.packet, receivedAtMs);
    else this.reject(result.reason);
    return result;
  }

  /** Report a reject without a frame, e.g. 'overload'. */
  reject(reason: CaptureReject): void {
    if (this.state !== 'running') return;
    this.rejects.push(reason);
    this.onReject?.(reason);
  }
}
