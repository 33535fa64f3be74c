/**
 * PacketSource on libpcap through `cap` 0.2.1: one handle per interface, frames parsed by our
 * own parser (cap's decoders read past short packets and loop forever on IPv6 ESP). What cap's
 * src/binding.cc does shapes this file; the measurements behind it are in docs/capture.md.
 * - There is no separate setFilter, and re-opening a Cap object leaves it marked closing, so a
 *   filter change needs a new Cap object: open the new handle, then retire the old one. Both
 *   open() and close() block the event loop, so filter switches are rationed
 *   (pipeline/filter-horizon.ts).
 * - Immediate mode works only if dlopen("libpcap.so") does, i.e. libpcap0.8-dev is installed.
 * - One buffer receives every frame and 'packet' (nbytes, truncated) fires synchronously from
 *   inside the dispatch loop, so frames are parsed (and the UDP payload copied) right there.
 * - If open() throws, close() on that object segfaults and garbage-collecting it aborts; and
 *   collecting even a successfully closed Cap crashed in its destructor (a V8 weak callback).
 *   So every Cap object ever created stays referenced for the life of the process
 *   (`retainedCaps`). Buffers of closed handles are released; a failed handle keeps its buffer.
 * - On readable, the native side calls pcap_dispatch until the ring is empty, so a flood that
 *   arrives faster than it is drained never yields to the event loop (upstream issue #95), and
 *   starves timers and I/O. Hence a per-turn budget: after `maxPacketsPerTurn` packets or
 *   `maxTurnMs` in one event-loop turn, the rest of the burst is dropped unparsed and reported
 *   as 'overload' until setImmediate marks the next turn. A shed frame skips parsing and the
 *   handler (only cap's copy and callback remain), so the ring drains and the loop turns.
 * - cap fixes snaplen at 65535, so every ring slot is 64 KiB or more and a ring holds far fewer
 *   frames than its size suggests; frames beyond that are dropped by the kernel until the loop
 *   reads the ring.
 */
import { createRequire } from 'node:module';
import { CaptureError } from './errors.js';
import { type LinkType, parseFrame } from './frame.js';
import { OverlapDedupe } from './overlap-dedupe.js';
import type { PacketHandler, PacketSource, RejectHandler } from './packet-source.js';
import { TurnBudget } from './turn-budget.js';

export interface PcapSourceOptions {
  /** Interface names from the configuration (`ip link`); `any` gives Linux cooked frames. */
  interfaces: readonly string[];
  /** Initial BPF filter (see buildFilter); must not be empty (that would capture everything). */
  filter: string;
  /** Kernel ring size per handle. Default 10 MiB: only ~160 frames (64 KiB slots, see header). */
  bufferBytes?: number;
  /** Clock for `receivedAtMs`. Default Date.now. */
  now?: () => number;
  /** How long a replaced handle keeps delivering after setFilter. Default 1500 ms. */
  overlapMs?: number;
  /** Packets parsed per event-loop turn before the rest are shed as 'overload'. Default 2000. */
  maxPacketsPerTurn?: number;
  /** Milliseconds of packet handling per event-loop turn before the rest are shed. Default 25. */
  maxTurnMs?: number;
}

export const DEFAULT_BUFFER_BYTES = 10 * 1024 * 1024;
/**
 * A replaced handle is closed this long after setFilter, so frames that reached its ring before
 * the new handle existed are still read. With immediate mode a loop turn is enough; without it
 * (no libpcap.so) TPACKET_V3 hands frames over only when a block fills or after cap's 1000 ms
 * read timeout, hence 1.5 s. Frames matching only the old filter (an expired step) may still be
 * delivered during the overlap; frames matching both are delivered once (OverlapDedupe).
 */
export const DEFAULT_OVERLAP_MS = 1500;
export const DEFAULT_MAX_PACKETS_PER_TURN = 2000;
export const DEFAULT_MAX_TURN_MS = 25;
/** cap copies at most this many bytes per frame; libpcap's snaplen is 65535. */
const FRAME_BUFFER_BYTES = 65536;
/** Replaced handles still open per interface; setFilter more often than this closes the oldest early. */
const MAX_RETIRING = 4;
const SUPPORTED_LINKS: readonly string[] = ['ETHERNET', 'LINKTYPE_LINUX_SLL', 'RAW', 'NULL'];

/** The part of cap's native Cap object that we use. */
interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
  removeAllListeners(event?: string): unknown;
}
type CapConstructor = new () => CapHandle;

/** Every Cap object ever created: never garbage-collected (see the header). */
const retainedCaps: CapHandle[] = [];
/** Buffers of Cap objects whose open() failed: libpcap may still point at them. */
const failedBuffers: Buffer[] = [];

/** How many Cap objects this process holds forever (for metrics and tests). */
export function retainedCaptureHandles(): number {
  return retainedCaps.length;
}
let capConstructor: CapConstructor | undefined;

function loadCap(): CapConstructor {
  if (capConstructor === undefined) {
    try {
      const require = createRequire(import.meta.url);
      capConstructor = (require('cap') as { Cap: CapConstructor }).Cap;
    } catch (err) {
      throw new CaptureError(
        'capture-open',
        'the libpcap binding `cap` could not be loaded',
        'install libpcap-dev and rebuild (`pnpm approve-builds cap`, then `pnpm install` with npm_config_nodedir=/usr)',
        { cause: err },
      );
    }
  }
  return capConstructor;
}

interface Handle {
  readonly cap: CapHandle;
  readonly buffer: Buffer; // cap writes every frame here; referenced as long as the handle lives
  closed: boolean;
  retireTimer: NodeJS.Timeout | undefined;
}

/** Per interface: the live handle, plus replaced ones until their overlap ends (oldest first). */
interface Slot {
  readonly device: string;
  current: Handle | undefined;
  retiring: Handle[];
  /** Recognises the second copy of a frame captured by two overlapping handles. */
  readonly dedupe: OverlapDedupe<Handle>;
}

export class PcapSource implements PacketSource {
  private readonly slots: Slot[];
  private filter: string;
  private readonly bufferBytes: number;
  private readonly now: () => number;
  private readonly overlapMs: number;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private onPacket: PacketHandler = () => {};
  private onReject: RejectHandler = () => {};
  private readonly budget: TurnBudget;

  constructor(options: PcapSourceOptions) {
    if (options.interfaces.length === 0) {
      throw new CaptureError(
        'capture-open',
        'no capture interface configured',
        'list at least one interface',
      );
    }
    checkFilter(options.filter);
    const bufferBytes = options.bufferBytes ?? DEFAULT_BUFFER_BYTES;
    if (!Number.isInteger(bufferBytes) || bufferBytes < FRAME_BUFFER_BYTES || bufferBytes > 0x7fffffff) {
      throw new CaptureError(
        'capture-open',
        `capture buffer of ${String(bufferBytes)} bytes is out of range`,
        'use an integer number of bytes between 64 KiB and 2 GiB (default 10 MiB)',
      );
    }
    this.slots = [...new Set(options.interfaces)].map((device) => ({
      device,
      current: undefined,
      retiring: [],
      dedupe: new OverlapDedupe<Handle>(),
    }));
    this.filter = options.filter;
    this.bufferBytes = bufferBytes;
    this.now = options.now ?? Date.now;
    this.overlapMs = options.overlapMs ?? DEFAULT_OVERLAP_MS;
    this.budget = new TurnBudget({
      maxPackets: options.maxPacketsPerTurn ?? DEFAULT_MAX_PACKETS_PER_TURN,
      maxMs: options.maxTurnMs ?? DEFAULT_MAX_TURN_MS,
    });
  }

  /** Opens one handle per interface; throws CaptureError (nothing left open) if any fails. */
  start(onPacket: PacketHandler, onReject?: RejectHandler): void {
    if (this.state !== 'new') {
      throw new CaptureError('capture-state', 'packet source already started', 'create a new PcapSource');
    }
    this.onPacket = onPacket;
    if (onReject !== undefined) this.onReject = onReject;
    const opened = this.openAll(this.filter);
    this.state = 'running';
    this.slots.forEach((slot, i) => {
      slot.current = opened[i];
    });
  }

  /** Opens the new handles first; if any fails, throws and the old filter stays in force. */
  setFilter(filter: string): void {
    checkFilter(filter);
    if (filter === this.filter) return; // no new handles (each costs ~45 ms and stays allocated)
    if (this.state !== 'running') {
      this.filter = filter;
      return;
    }
    const opened = this.openAll(filter);
    this.filter = filter;
    this.slots.forEach((slot, i) => {
      const old = slot.current;
      slot.current = opened[i];
      if (old === undefined) return;
      // The old handle retires after overlapMs, so frames already queued in its ring are read.
      // The close itself waits for setImmediate: the timer fires in the timers phase, and the poll
      // phase that follows reads whatever reached the old ring while the loop was stalled.
      slot.retiring.push(old);
      old.retireTimer = setTimeout(() => {
        setImmediate(() => retire(slot, old));
      }, this.overlapMs);
      old.retireTimer.unref();
      while (slot.retiring.length > MAX_RETIRING) retire(slot, slot.retiring[0]!);
    });
  }

  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const slot of this.slots) {
      while (slot.retiring.length > 0) retire(slot, slot.retiring[0]!);
      if (slot.current !== undefined) closeHandle(slot.current);
      slot.current = undefined;
    }
  }

  private openAll(filter: string): Handle[] {
    const opened: Handle[] = [];
    try {
      for (const slot of this.slots) opened.push(this.open(slot, filter));
    } catch (err) {
      for (const handle of opened) closeHandle(handle);
      throw err;
    }
    return opened;
  }

  private open(slot: Slot, filter: string): Handle {
    const Cap = loadCap();
    const cap = new Cap();
    retainedCaps.push(cap); // see the header: collecting a Cap object can crash the process
    const buffer = Buffer.alloc(FRAME_BUFFER_BYTES);
    let linkName: string;
    try {
      linkName = cap.open(slot.device, filter, this.bufferBytes, buffer);
    } catch (err) {
      failedBuffers.push(buffer); // never close() it: that segfaults; libpcap still points at buffer
      const reason = err instanceof Error ? err.message : String(err);
      // The filter itself is not in the message: one-time sequence ports are secret.
      throw new CaptureError(
        'capture-open',
        `cannot capture on interface ${JSON.stringify(slot.device)}: ${reason}`,
        openHint(reason),
        { cause: err },
      );
    }
    const handle: Handle = { cap, buffer, closed: false, retireTimer: undefined };
    if (!SUPPORTED_LINKS.includes(linkName)) {
      closeHandle(handle); // open() succeeded, so close() is safe
      throw new CaptureError(
        'capture-link',
        `interface ${JSON.stringify(slot.device)} has link type ${linkName}, which spa-server cannot parse`,
        'capture on an Ethernet-like interface, or use `any`',
      );
    }
    const link = linkName as LinkType;
    cap.on('packet', (nbytes: number) => {
      if (handle.closed) return;
      if (!this.budget.admit()) {
        this.onReject('overload');
        return;
      }
      const result = parseFrame(link, buffer.subarray(0, nbytes));
      if (!result.ok) {
        this.onReject(result.reason);
        return;
      }
      if (slot.retiring.length > 0 && slot.dedupe.isTwin(handle, result.packet)) return;
      this.onPacket(result.packet, this.now());
    });
    return handle;
  }
}

function retire(slot: Slot, handle: Handle): void {
  clearTimeout(handle.retireTimer);
  closeHandle(handle);
  slot.retiring = slot.retiring.filter((h) => h !== handle);
  if (slot.retiring.length === 0) slot.dedupe.clear();
}

function closeHandle(handle: Handle): void {
  if (handle.closed) return;
  handle.closed = true;
  handle.cap.close(); // safe inside its own 'packet' callback: cap defers pcap_close
  handle.cap.removeAllListeners('packet');
}

const HINT_PERMISSION =
  'run spa-server as root or grant CAP_NET_RAW and CAP_NET_ADMIN (e.g. systemd AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)';
const HINT_DEVICE = 'check the interface name with `ip link` (in the network namespace spa-server runs in)';

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
