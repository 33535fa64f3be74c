// PacketSource on libpcap through the patched `cap` (cap-binding.ts; docs/capture.md): one
// handle per interface for the life of the source, frames parsed by our own parser (cap's
// decoders read past short packets and loop forever on IPv6 ESP).
//
// - setFilter changes the filter of the open handles in place (pcap_setfilter): no second
//   handle, no overlap, no frame delivered twice; libpcap re-filters frames already in the ring.
// - The snaplen is what the largest accepted knock needs (CAPTURE_SNAPLEN), so a ring slot is
//   ~2 KiB instead of ~64 KiB and a small ring holds thousands of knocks.
// - Not promiscuous by default: frames addressed to other hosts' MACs are not captured.
// - Bounded dispatch: at most `maxPerDispatch` frames per wake-up, then the event loop runs
//   (timers, I/O) before the rest of the ring is read, so a flood cannot starve the loop; frames
//   that do not fit the ring meanwhile are dropped by the kernel. One JavaScript call per batch:
//   the frames lie back to back in one buffer, their offsets and lengths in a record buffer, and
//   are parsed in place (parseFrameAt): a rejected frame allocates nothing.
// - A failed open leaves nothing behind, and closed handles may be garbage-collected.

import { FWKNOP_MAX_WIRE_LENGTH, PACKET_LENGTH } from '@spa/shared';
import { CAP_RECORD_FIELDS, type CapHandle, loadCap } from './cap-binding.js';
import { CaptureError } from './errors.js';
import { type LinkType, parseFrameAt } from './frame.js';
import type { PacketHandler, PacketSource, RejectHandler } from './packet-source.js';

/**
 * Bytes captured per frame: the largest frame an accepted knock arrives in. Link header: at most
 * 22 (Ethernet with two VLAN tags; cooked `any` 16); IP: an IPv6 header with up to 256 bytes of
 * extension headers (IPv4's is at most 60); UDP 8; payload: the larger of a native knock
 * (PACKET_LENGTH) and an fwknop packet (fwknopd's MAX_SPA_PACKET_LEN). Sequence knocks need only
 * headers. A longer frame is cut and refused by the parser as `truncated`.
 */
const MAX_LINK_HEADER = 14 + 2 * 4;
const IPV6_HEADER_WITH_EXTENSIONS = 40 + 256;
const UDP_HEADER = 8;
export const CAPTURE_SNAPLEN =
  MAX_LINK_HEADER +
  IPV6_HEADER_WITH_EXTENSIONS +
  UDP_HEADER +
  Math.max(PACKET_LENGTH, FWKNOP_MAX_WIRE_LENGTH);

/** Knobs production wiring never sets (the daemon uses the defaults); only tests turn them. */
export interface PcapSourceTestSeams {
  /** Kernel ring size per handle. Default 4 MiB: ~2,000 frames of CAPTURE_SNAPLEN. */
  bufferBytes?: number;
  /** Bytes captured per frame. Default CAPTURE_SNAPLEN. */
  snaplen?: number;
  /** Capture frames addressed to other hosts too. Default false. */
  promiscuous?: boolean;
  /** Frames handled per wake-up before the event loop runs again. Default 256. */
  maxPerDispatch?: number;
}

export interface PcapSourceOptions {
  /** Interface names from the configuration (`ip link`); `any` gives Linux cooked frames. */
  interfaces: readonly string[];
  /** Initial BPF filter (see buildFilter); must not be empty (that would capture everything). */
  filter: string;
  testSeams?: PcapSourceTestSeams;
  /** Clock for `receivedAtMs`. Default Date.now. */
  now?: () => number;
}

export const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_PER_DISPATCH = 256;
/** Frames per 'packets' call (cap flushes a batch when its buffer or records are full). */
const BATCH_FRAMES = 64;
const MIN_BUFFER_BYTES = 64 * 1024;
const SUPPORTED_LINKS: readonly string[] = ['ETHERNET', 'LINKTYPE_LINUX_SLL', 'RAW', 'NULL'];

interface Handle {
  readonly device: string;
  readonly cap: CapHandle;
}

export class PcapSource implements PacketSource {
  readonly #devices: readonly string[];
  readonly #bufferBytes: number;
  readonly #snaplen: number;
  readonly #promiscuous: boolean;
  readonly #maxPerDispatch: number;
  readonly #now: () => number;
  #filter: string;
  #handles: Handle[] = [];
  #opened = 0;
  #state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: PcapSourceOptions) {
    if (options.interfaces.length === 0) {
      throw new CaptureError(
        'capture-open',
        'no capture interface configured',
        'list at least one interface',
      );
    }
    checkFilter(options.filter);
    const seams = options.testSeams ?? {};
    const bufferBytes = seams.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    if (!Number.isInteger(bufferBytes) || bufferBytes < MIN_BUFFER_BYTES || bufferBytes > 0x7fffffff) {
      throw new CaptureError(
        'capture-open',
        `capture buffer of ${String(bufferBytes)} bytes is out of range`,
        'use an integer number of bytes between 64 KiB and 2 GiB (default 4 MiB)',
      );
    }
    const snaplen = seams.snaplen ?? CAPTURE_SNAPLEN;
    const maxPerDispatch = seams.maxPerDispatch ?? DEFAULT_MAX_PER_DISPATCH;
    for (const [name, value, max] of [
      ['snaplen', snaplen, 262_144],
      ['maxPerDispatch', maxPerDispatch, 1_000_000],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > max) {
        throw new CaptureError(
          'capture-open',
          `capture ${name} of ${String(value)} is out of range`,
          `use an integer 1-${max}`,
        );
      }
    }
    this.#devices = [...new Set(options.interfaces)];
    this.#bufferBytes = bufferBytes;
    this.#snaplen = snaplen;
    this.#promiscuous = seams.promiscuous ?? false;
    this.#maxPerDispatch = maxPerDispatch;
    this.#now = options.now ?? Date.now;
    this.#filter = options.filter;
  }

  /** libpcap handles opened by this source so far (one per interface, ever). */
  get handlesOpened(): number {
    return this.#opened;
  }

  /** Opens one handle per interface; throws CaptureError (nothing left open) if any fails. */
  start(onPacket: PacketHandler, onReject?: RejectHandler): void {
    if (this.#state !== 'new') {
      throw new CaptureError('capture-state', 'packet source already started', 'create a new PcapSource');
    }
    const reject = onReject ?? (() => {});
    const opened: Handle[] = [];
    try {
      for (const device of this.#devices) opened.push(this.#open(device, onPacket, reject));
    } catch (err) {
      for (const handle of opened) closeHandle(handle);
      throw err;
    }
    this.#handles = opened;
    this.#state = 'running';
  }

  /**
   * Replaces the filter of every open handle in place. If libpcap rejects it on one handle,
   * the handles already changed go back to the old filter and this throws.
   */
  setFilter(filter: string): void {
    checkFilter(filter);
    if (filter === this.#filter) return;
    if (this.#state !== 'running') {
      this.#filter = filter;
      return;
    }
    const done: Handle[] = [];
    try {
      for (const handle of this.#handles) {
        handle.cap.setFilter(filter);
        done.push(handle);
      }
    } catch (err) {
      for (const handle of done) handle.cap.setFilter(this.#filter);
      const failed = this.#handles[done.length]!;
      throw openError(failed.device, err);
    }
    this.#filter = filter;
  }

  stop(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    for (const handle of this.#handles) closeHandle(handle);
    this.#handles = [];
  }

  #open(device: string, onPacket: PacketHandler, onReject: RejectHandler): Handle {
    const Cap = loadCap();
    const cap = new Cap();
    const frames = Buffer.alloc(BATCH_FRAMES * this.#snaplen);
    const records = Buffer.alloc(BATCH_FRAMES * CAP_RECORD_FIELDS * 4);
    let linkName: string;
    try {
      linkName = cap.open(device, this.#filter, this.#bufferBytes, frames, {
        snaplen: this.#snaplen,
        promiscuous: this.#promiscuous,
        maxPerDispatch: this.#maxPerDispatch,
        batch: records,
      });
    } catch (err) {
      throw openError(device, err); // the patched cap leaves a failed object closed and collectable
    }
    this.#opened++;
    const handle: Handle = { device, cap };
    if (!SUPPORTED_LINKS.includes(linkName)) {
      closeHandle(handle);
      throw new CaptureError(
        'capture-link',
        `interface ${JSON.stringify(device)} has link type ${linkName}, which spa-server cannot parse`,
        'capture on an Ethernet-like interface, or use `any`',
      );
    }
    const link = linkName as LinkType;
    const record = new Uint32Array(records.buffer, records.byteOffset, records.length / 4);
    const now = this.#now;
    cap.on('packets', (count: number) => {
      const at = now();
      for (let i = 0, r = 0; i < count; i++, r += CAP_RECORD_FIELDS) {
        const result = parseFrameAt(link, frames, record[r]!, record[r + 1]!);
        if (result.ok) onPacket(result.packet, at);
        else onReject(result.reason);
      }
    });
    return handle;
  }
}

function closeHandle(handle: Handle): void {
  handle.cap.close(); // safe inside its own 'packets' callback: cap defers pcap_close
  handle.cap.removeAllListeners('packets');
}

const HINT_PERMISSION =
  'run spa-server as root or grant CAP_NET_RAW and CAP_NET_ADMIN (e.g. systemd AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)';
const HINT_DEVICE = 'check the interface name with `ip link` (in the network namespace spa-server runs in)';

/** The filter itself is not in the message: one-time sequence ports are secret. */
function openError(device: string, err: unknown): CaptureError {
  const reason = err instanceof Error ? err.message : String(err);
  return new CaptureError(
    'capture-open',
    `cannot capture on interface ${JSON.stringify(device)}: ${reason}`,
    openHint(reason),
    { cause: err },
  );
}

/** A hint from libpcap's error text (only on this error path, never per packet). */
function openHint(reason: string): string {
  const text = reason.toLowerCase();
  if (text.includes('permitted') || text.includes('permission')) return HINT_PERMISSION;
  if (text.includes('no such device') || text.includes("doesn't exist")) return HINT_DEVICE;
  if (text.includes('filter') || text.includes('syntax')) {
    return 'libpcap rejected the capture filter: this is a bug in spa-server, please report it';
  }
  return `${HINT_PERMISSION}; ${HINT_DEVICE}`;
}

function checkFilter(filter: string): void {
  if (filter.trim() === '') {
    throw new CaptureError(
      'capture-filter-input',
      'empty capture filter: libpcap would capture every packet',
      'build the filter with buildFilter()',
    );
  }
}
