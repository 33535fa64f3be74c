/**
 * The replay store: one-time ids of accepted knocks and burned one-time sequences, kept
 * while they could still work (inside the time window) and persisted so that neither a
 * restart nor `kill -9` lets an accepted packet work again.
 *
 * - `record`/`burn` append one line with a synchronous write(2) and return only after it;
 *   the caller issues the grant afterwards. Data handed to the kernel survives the death of
 *   the process (`kill -9`, a crash, OOM) because it sits in the page cache.
 * - Power loss: the page cache is lost too, so every record is also pushed to the disk with
 *   fdatasync(2). By default (`sync: 'deferred'`) that runs on libuv's thread pool right after
 *   the write, coalesced, and the grant does not wait for it: a synchronous fdatasync costs
 *   0.25-1.3 ms here (ext4 on a virtual disk) with spikes of 3-6 ms, which was most of a
 *   knock's latency. The gap this leaves: a power loss within the milliseconds between the
 *   write and the sync, followed by a reboot within the time window (±30 s), could let a knock
 *   accepted in those milliseconds work once more. `sync: 'data'` closes it at the cost above;
 *   `sync: 'none'` never syncs. Records are written only for authenticated, fresh knocks (a
 *   forged or replayed packet never reaches the disk), so a flood cannot make the server sync.
 * - At open the file is read (entries still inside the window are kept, corrupt lines and a
 *   torn tail are skipped) and compacted at once: live entries are written to a temporary
 *   file, synced, renamed over the log and the directory synced. `compactIfWorthIt` does the
 *   same later when the log holds many dead records.
 * - Memory is bounded by the window: knock ids through `ReplayWindow` (with its capacity),
 *   burned sequences until their expiry. Both are also held for a span of *monotonic* time
 *   (`monotonic`, default performance.now) whatever the wall clock says, and what is forgotten
 *   raises a floor (`f`/`q` records) below which nothing is accepted: a wall clock stepped
 *   forward and back cannot make a spent id work again (shared/replay-window.ts).
 * - A store that is missing, cut short or has unreadable records (damage.ts) sets the floors
 *   to what the start cannot vouch for: knocks stamped before (now + max future skew), and
 *   sequences live before now. `loaded.damage` says so; the daemon logs it at warn.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ReplayVerdict, ReplayWindow, type TimeWindow } from '@spa/shared';
import { assessStore, REPLAY_MARKER, type StoreDamage } from './damage.js';
import { floorLine, knockLine, REPLAY_FILE, REPLAY_HEADER, sequenceLine } from './record.js';
import { APPEND_NO_FOLLOW, NEW_FILE, readNoFollow } from './state-file.js';

/** Knobs production wiring never sets (the daemon uses the defaults); only tests turn them. */
export interface ReplayStoreTestSeams {
  /** Hard cap on remembered knock ids (ReplayWindow capacity). Default 1,000,000. */
  readonly capacity?: number;
}

export interface ReplayStoreOptions {
  /** After each record: fdatasync in the background (default), before returning, or never. */
  readonly sync?: 'deferred' | 'data' | 'none';
  readonly testSeams?: ReplayStoreTestSeams;
  /** Monotonic clock (ms) that says how long an id has been remembered. Default performance.now. */
  readonly monotonic?: () => number;
  /**
   * How long a one-time sequence can be completed (its candidate steps T-1 .. T+1: three
   * steps). A burned sequence is held that long in monotonic time. Default 90 s.
   */
  readonly sequenceLiveMs?: number;
}

export interface ReplayLoadStats {
  readonly knocks: number;
  readonly sequences: number;
  /** Lines that were not whole records. */
  readonly skipped: number;
  /** Records already out of the window. */
  readonly expired: number;
  /** The store was missing, cut short or had unreadable records (damage.ts). */
  readonly damage?: StoreDamage;
  /** No store and no marker: made now, for the first time. */
  readonly firstStart?: boolean;
}

interface Burned {
  readonly expiresAtMs: number;
  /** Monotonic time before which it is kept whatever the wall clock says. */
  readonly holdUntilMs: number;
}

/** Dead records in the log before `compactIfWorthIt` rewrites it (and at least the live count). */
const COMPACT_MIN_DEAD = 1024;

export class ReplayStore {
  readonly path: string;
  readonly #dir: string;
  readonly #sync: 'deferred' | 'data' | 'none';
  /** deferred mode: a background fdatasync is running / another is needed after it. */
  #syncing = false;
  #dirty = false;
  readonly #knocks: ReplayWindow;
  readonly #monotonic: () => number;
  readonly #sequenceLiveMs: number;
  /** burned sequence id → expiry (ms) and hold. */
  readonly #burned = new Map<string, Burned>();
  /** Completed sequences burned until at or before this are refused (`forgotten`). */
  #sequenceFloorMs = Number.NEGATIVE_INFINITY;
  #fd: number | undefined;
  /** Records in the file now, live or dead. */
  #fileRecords = 0;
  #loaded: ReplayLoadStats = { knocks: 0, sequences: 0, skipped: 0, expired: 0 };

  private constructor(dir: string, window: TimeWindow, options: ReplayStoreOptions) {
    this.#dir = dir;
    this.path = join(dir, REPLAY_FILE);
    this.#sync = options.sync ?? 'deferred';
    this.#knocks = new ReplayWindow(window, options.testSeams?.capacity);
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#sequenceLiveMs = options.sequenceLiveMs ?? 90_000;
  }

  /**
   * Open (creating the directory and file if needed), load live entries, set the floors if the
   * store was damaged, and compact.
   */
  static open(dir: string, window: TimeWindow, nowMs: number, options: ReplayStoreOptions = {}): ReplayStore {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const store = new ReplayStore(dir, window, options);
    let text: string | undefined;
    try {
      text = readNoFollow(store.path, 'latin1');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP')
        throw new Error(
          `replay store ${store.path} is a symlink: refusing to follow it (remove it: rm ${store.path})`,
        );
      if (code !== 'ENOENT') throw err;
    }
    const marker = join(dir, REPLAY_MARKER);
    const { parsed, damage, firstStart } = assessStore(text, existsSync(marker));
    if (!existsSync(marker)) writeMarker(marker, nowMs);
    const mono = store.#monotonic();
    let knocks = 0;
    let sequences = 0;
    let expired = 0;
    const oldest = nowMs - window.maxPastMs;
    for (const r of parsed.records) {
      if (r.kind === 'knock-floor') store.#knocks.raiseFloor(r.ms);
      else if (r.kind === 'sequence-floor') store.#raiseSequenceFloor(r.ms);
      else if (r.kind === 'knock') {
        if (r.timestampMs < oldest) {
          // Out of the window by this clock; if it is set back later, the floor still refuses it.
          store.#knocks.raiseFloor(r.timestampMs + 1);
          expired++;
        } else {
          store.#knocks.remember(r.id, r.timestampMs, mono);
          knocks++;
        }
      } else if (r.expiresAtMs <= nowMs) {
        store.#raiseSequenceFloor(r.expiresAtMs);
        expired++;
      } else {
        const prev = store.#burned.get(r.id)?.expiresAtMs ?? 0;
        store.#burned.set(r.id, {
          expiresAtMs: Math.max(r.expiresAtMs, prev),
          holdUntilMs: mono + store.#sequenceLiveMs,
        });
        sequences++;
      }
    }
    if (damage) {
      // What the start cannot vouch for: a knock stamped before now + max future skew could
      // have been accepted before the start; a sequence live before now could have been burned.
      store.#knocks.raiseFloor(nowMs + window.maxFutureMs);
      store.#raiseSequenceFloor(nowMs + store.#sequenceLiveMs - 1);
    }
    store.#loaded = {
      knocks,
      sequences,
      skipped: parsed.skipped,
      expired,
      ...(damage ? { damage } : {}),
      ...(firstStart ? { firstStart } : {}),
    };
    store.compact(nowMs);
    return store;
  }

  /** Knocks stamped before this are refused as `forgotten` (-Infinity: none). */
  get knockFloorMs(): number {
    return this.#knocks.floorMs;
  }

  /** Sequences burned until at or before this are refused as `forgotten` (-Infinity: none). */
  get sequenceFloorMs(): number {
    return this.#sequenceFloorMs;
  }

  /** What `open` found in the log. */
  get loaded(): ReplayLoadStats {
    return this.#loaded;
  }

  get size(): number {
    return this.#knocks.size + this.#burned.size;
  }

  /** Would this knock be fresh (time window, not seen, room left)? Remembers nothing. */
  check(idHex: string, timestampMs: number, nowMs: number): ReplayVerdict {
    return this.#knocks.check(idHex, timestampMs, nowMs, this.#monotonic());
  }

  /** Persist an accepted knock's id, then remember it. Throws if the write fails: grant nothing then. */
  record(idHex: string, timestampMs: number): void {
    this.#append(knockLine(idHex, timestampMs));
    this.#knocks.remember(idHex, timestampMs, this.#monotonic());
  }

  isBurned(sequenceId: string): boolean {
    return this.#burned.has(sequenceId);
  }

  /**
   * A completed sequence that would stay burned until `burnedUntilMs` may have been burned and
   * forgotten (a damaged store, a clock set back after a prune): refuse it.
   */
  isSequenceForgotten(burnedUntilMs: number): boolean {
    return burnedUntilMs <= this.#sequenceFloorMs;
  }

  /** Persist a completed sequence's id until `expiresAtMs`, then remember it. Throws on a failed write. */
  burn(sequenceId: string, expiresAtMs: number): void {
    this.#append(sequenceLine(sequenceId, expiresAtMs));
    this.#burned.delete(sequenceId);
    this.#burned.set(sequenceId, { expiresAtMs, holdUntilMs: this.#monotonic() + this.#sequenceLiveMs });
  }

  /**
   * Forget entries that can no longer work: expired by the wall clock and past their
   * monotonic hold. What is forgotten raises the floors. Returns how many were dropped.
   */
  prune(nowMs: number): number {
    const mono = this.#monotonic();
    let n = this.#knocks.prune(nowMs, mono);
    for (const [id, b] of this.#burned) {
      if (b.holdUntilMs > mono) break; // insertion order is monotonic order
      if (b.expiresAtMs <= nowMs) {
        this.#burned.delete(id);
        this.#raiseSequenceFloor(b.expiresAtMs);
        n++;
      }
    }
    return n;
  }

  #raiseSequenceFloor(ms: number): void {
    if (ms > this.#sequenceFloorMs) this.#sequenceFloorMs = ms;
  }

  /** Prune, and rewrite the log when most of it is dead. Returns true if it compacted. */
  compactIfWorthIt(nowMs: number): boolean {
    this.prune(nowMs);
    const dead = this.#fileRecords - this.size;
    if (dead < COMPACT_MIN_DEAD || dead < this.size) return false;
    this.compact(nowMs);
    return true;
  }

  /** Rewrite the log with the live entries only: temp file, fsync, rename, fsync the directory. */
  compact(nowMs: number): void {
    this.prune(nowMs);
    const lines = [REPLAY_HEADER];
    const knockFloor = this.#knocks.floorMs;
    if (Number.isFinite(knockFloor)) lines.push(floorLine('knock-floor', knockFloor));
    if (Number.isFinite(this.#sequenceFloorMs))
      lines.push(floorLine('sequence-floor', this.#sequenceFloorMs));
    for (const [id, ts] of this.#knocks.entries()) lines.push(knockLine(id, ts));
    for (const [id, b] of this.#burned) lines.push(sequenceLine(id, b.expiresAtMs));
    const tmp = `${this.path}.tmp`;
    // A new file, never through a symlink: unlink what is there (a crash's leftover, or a
    // planted link: unlink removes the link, not its target), then O_EXCL|O_NOFOLLOW.
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, NEW_FILE, 0o600);
    try {
      writeAll(fd, lines.join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    syncDirectory(this.#dir);
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = openSync(this.path, APPEND_NO_FOLLOW, 0o600);
    this.#fileRecords = lines.length - 1;
  }

  /** Flush and close the log. Later records throw. */
  close(): void {
    if (this.#fd === undefined) return;
    fsyncSync(this.#fd);
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #append(line: string): void {
    if (this.#fd === undefined) throw new Error('replay store is closed');
    writeAll(this.#fd, line);
    if (this.#sync === 'data') fdatasyncSync(this.#fd);
    else if (this.#sync === 'deferred') this.#syncSoon();
    this.#fileRecords++;
  }

  /** One background fdatasync at a time; records written meanwhile get the next one. */
  #syncSoon(): void {
    this.#dirty = true;
    if (this.#syncing || this.#fd === undefined) return;
    this.#syncing = true;
    this.#dirty = false;
    fdatasync(this.#fd, () => {
      // An error here (EBADF after compaction or close swapped the fd) loses nothing:
      // compaction and close sync the file themselves.
      this.#syncing = false;
      if (this.#dirty) this.#syncSoon();
    });
  }
}

/** The marker that says a store existed here (damage.ts); O_EXCL|O_NOFOLLOW, so never through a symlink. */
function writeMarker(path: string, nowMs: number): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, NEW_FILE, 0o600);
    writeAll(fd, `spa replay store created ${new Date(nowMs).toISOString()}\n`);
    fsyncSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** write(2) until every byte is out (a short write is rare on a regular file, but legal). */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'latin1');
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
